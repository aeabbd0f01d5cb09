// Row shapes of the files a built-in dataset writes (catalog and clicks follow DESIGN §2).

/** Names of the built-in datasets. */
export type DatasetName = "demo" | "fashion-mnist";

/** Options for generating a built-in dataset. */
export interface DatasetOptions {
  /** Output folder; created when missing. */
  out: string;
  /** Seed of every random choice (default 42): same seed and options → byte-identical files. */
  seed?: number;
  /** Number of catalog items (demo default 2000, fashion-mnist default 5000). */
  items?: number;
  /** demo: share of titles that mention the colour, and independently the pattern (default 0.4). */
  titleAttrRate?: number;
  /** Training click rows (default 7.5 per item); the eval log is 12% of it. */
  clicks?: number;
  /** Called as images are written: done of total items. */
  onProgress?: (done: number, total: number) => void;
  /** fashion-mnist: folder with the gzipped IDX files (default /usr/share/datasets/fashion-mnist). */
  sourceDir?: string;
}

/** One catalog row as written to catalog.jsonl. */
export interface CatalogRow {
  /** Unique item id. */
  id: string;
  /** Product title as a shop would write it (often missing colour, pattern or type). */
  title: string;
  /** "images/<id>.png", relative to the catalog file's folder; absent for text-only items. */
  image?: string;
  /** Brand name (invented). */
  brand: string;
  /** Category path, e.g. "Women>Dresses". */
  category: string;
  /** Price with two decimals. */
  price: number;
  /** Extra attributes that never reveal the hidden colour or pattern. */
  attributes?: Record<string, string>;
}

/** The attributes a query asks for; also an item's true attributes. */
export interface Intent {
  /** Product type key, e.g. "dress". */
  type?: string;
  /** Colour key, e.g. "red". */
  colour?: string;
  /** Pattern key, e.g. "striped". */
  pattern?: string;
  /** Brand name exactly as in the catalog. */
  brand?: string;
}

/** One click-log row (clicks.jsonl, clicks-eval.jsonl). */
export interface ClickRow {
  /** Query text as the user typed it. */
  query: string;
  /** Clicked catalog item. */
  item_id: string;
  /** Clicks on this item in the session (≥ 1). */
  clicks: number;
  /** Purchases in the session, when any. */
  purchases?: number;
  /** Session time (ISO), derived from the seed, never from the clock. */
  ts: string;
}

/** One distinct query with the intent it was generated from (queries.jsonl). */
export interface QueryRow {
  /** Query text. */
  query: string;
  /** The attributes the query asks for. */
  intent: Intent;
  /** Template the query was generated with, e.g. "colour type". */
  template: string;
}

/** Ground-truth relevance of an item for an eval query (judgments.jsonl). */
export interface JudgmentRow {
  /** Query text. */
  query: string;
  /** Relevant item. */
  item_id: string;
  /** Relevance grade; 1 = matches every attribute of the intent. */
  grade: 1;
}

/** An item's hidden truth (truth.jsonl). */
export interface TruthRow {
  /** Item id. */
  id: string;
  /** True product type key. */
  type: string;
  /** True colour key (demo only). */
  colour?: string;
  /** True pattern key (demo only). */
  pattern?: string;
  /** Whether the title names the colour. */
  title_mentions_colour: boolean;
  /** Whether the title names the pattern. */
  title_mentions_pattern: boolean;
  /** Whether the title names the type. */
  title_mentions_type: boolean;
}

/** Options as resolved and recorded in dataset.json (paths and callbacks left out so files stay byte-identical). */
export interface ResolvedOptions {
  /** Catalog items. */
  items: number;
  /** Share of titles naming colour / pattern (demo) or type (fashion-mnist). */
  titleAttrRate: number;
  /** Training click rows asked for. */
  clicks: number;
}

/** dataset.json: what was generated, with counts and file names. */
export interface DatasetManifest {
  /** Dataset name. */
  name: DatasetName;
  /** Seed used. */
  seed: number;
  /** Format version of the generated files. */
  version: 1;
  /** Resolved generation options. */
  options: ResolvedOptions;
  /** Rows and files written. */
  counts: {
    items: number;
    imagesWritten: number;
    clicks: number;
    clicksEval: number;
    queries: number;
    judgments: number;
  };
  /** File names relative to the output folder. */
  files: {
    catalog: string;
    images: string;
    clicks: string;
    clicksEval: string;
    judgments: string;
    truth: string;
    queries: string;
    manifest: string;
  };
}
