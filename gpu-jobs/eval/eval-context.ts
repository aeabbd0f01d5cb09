// What every `vitrine eval` mode and the retrain gate share: the held-out queries of a data
// directory (the test half of the held-out pairs, or a file the user passes), the training log the
// slices are cut against, and ranking through core's retrieve engine — the same algorithm, qid
// lists and channel blend the API serves with, so a model is measured as it would serve.
import { dirname } from "node:path";
import sharp from "sharp";
import {
  buildSearchIndex,
  createHashEncoder,
  evaluateRankings,
  fitBlend,
  popularityOf,
  precomputeQidLists,
  qidListsFromMap,
  runRetrieve,
  tuningPair,
  type Blend,
  type BlendFit,
  type QidList,
  type SearchIndex,
  type Slice,
  type TuningQuery,
} from "../../core/index.ts";
import { allTableNames, IMPORT_TABLES, itemColumnsOf, openStore, readCatalog, readImportManifest, readLoggedQueries, type CatalogColumns, type LoggedQuery } from "../../lancedb/index.ts";
import { loadTrainingData, type TrainingData } from "../data/index.ts";
import { TrainError } from "../errors.ts";
import { queryTargets } from "../train/encode-all.ts";
import { loadEvalFile, type EvalSet } from "./eval-file.ts";
import { buildEvalQueries, type JudgmentInput } from "./eval-queries.ts";
import type { ExampleQuery, VariantResult } from "./report.ts";
import { loadTitleSlices } from "./slices.ts";

/** Cut-off of every eval ranking (the largest K of the metrics). */
export const EVAL_TOP_K = 200;

/** Exact-scan limit while evaluating: exact everywhere (ANN recall is measured apart, `--ann`). */
const EVAL_EXACT_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * A query with more judged-relevant items than this is broad: not even its top 100 can hold them
 * all, so which of them a shopper clicked is decided by popularity more than relevance, and its
 * Recall@K measures how equally relevant items are ordered (fashion-mnist's type queries: ~500).
 */
export const BROAD_QUERY_RELEVANT = 100;

/** Slice names, as the reports show them. */
export const SLICES = {
  unseen: "unseen pairs",
  seen: "seen pairs",
  head: "head queries",
  tail: "tail queries",
  cold: "cold items",
  unseenBroad: `unseen pairs, broad queries (> ${BROAD_QUERY_RELEVANT} relevant)`,
  unseenNarrow: `unseen pairs, narrow queries (≤ ${BROAD_QUERY_RELEVANT} relevant)`,
} as const;

/** The held-out side of a data directory, loaded once per eval. */
export interface EvalContext {
  /** Data directory. */
  dataDir: string;
  /** Folder of the imported catalog file (generated datasets keep images/ and truth.jsonl there). */
  sourceDir: string;
  /** Catalog and pairs as training sees them (row i = catalog row i). */
  data: TrainingData;
  /** The catalog with prices and attributes, as a release holds it. */
  catalog: CatalogColumns;
  /** Distinct test queries (canonical terms). */
  queries: string[];
  /** Clicked item rows per test query. */
  targets: Set<number>[];
  /** The tuning half of the held-out pairs, by query (a candidate's blend is fitted on it). */
  tuning: TuningQuery[];
  /** Distinct logged training queries (a candidate's precomputed qid lists). */
  logged: LoggedQuery[];
  /** Each catalog row's popularity prior from the training clicks, as publish computes and stores it. */
  popularity: Float32Array;
  /** Whether a candidate's blend fit weighs the prior (as publish does; not with `--no-prior`). */
  fitPrior: boolean;
  /** Graded judgments (empty when none). */
  judgments: JudgmentInput[];
  /** Slices reported beside overall: unseen/seen pairs, head/tail queries, cold items, title omits / names the queried attribute (built-in datasets). */
  slices: Slice[];
  /** (query, item) pairs in the test queries whose pair never occurs in the training clicks. */
  unseenPairs: number;
  /** Where the test queries came from: the import's held-out clicks or a file. */
  source: string;
  /** The file's eval set, when the queries came from `--clicks FILE`. */
  file?: EvalSet;
}

/** Where test queries come from instead of the import's held-out clicks. */
export interface EvalSourceOptions {
  /** A click log to evaluate on (`vitrine eval --clicks FILE`); every pair counts as a test pair. */
  clicks?: string;
  /** Graded judgments to use instead of the imported ones. */
  judgments?: string;
  /** Fit the popularity prior into candidates' blends, as publish does (default true, as publish; false: `--no-prior`). */
  prior?: boolean;
}

const pairKey = (terms: string, id: string) => `${terms}\u0000${id}`;

/** Load the test queries, tuning queries, judgments and slices; throws when there is nothing to evaluate. */
export async function loadEvalContext(dataDir: string, src: EvalSourceOptions = {}): Promise<EvalContext> {
  const data = await loadTrainingData(dataDir);
  const manifest = await readImportManifest(dataDir);
  const sourceDir = dirname(manifest.sources.catalog ?? dataDir);
  const db = await openStore(dataDir);
  const catalog = await readCatalog(db, manifest.tables[IMPORT_TABLES.catalog]);
  if (catalog.ids.length !== data.items.ids.length || catalog.ids.some((id, i) => id !== data.items.ids[i])) {
    throw new TrainError("BAD_OPTION", `the catalog rows of ${dataDir} changed while loading; run eval again`);
  }
  const ids = data.items.ids;
  const held = queryTargets(data.evalPairs);
  // The held-out pairs split in two by a fixed hash: the tuning half fits a candidate's blend, the
  // test half is scored, so no blend is ever measured on the pairs that chose it.
  const split = (keep: (terms: string, id: string) => boolean) => {
    const qs: string[] = [];
    const ts: Set<number>[] = [];
    held.queries.forEach((q, i) => {
      const t = new Set([...held.targets[i]!].filter((r) => keep(q, ids[r]!)));
      if (t.size === 0) return;
      qs.push(q);
      ts.push(t);
    });
    return { queries: qs, targets: ts };
  };
  const tuningSplit = split((q, id) => tuningPair(q, id));
  // Each tuning query's training clicks leave its ranking, as publish fits them (readTuningQueries).
  const trained = queryTargets(data.pairs);
  const seenRows = new Map(trained.queries.map((q, i) => [q, trained.targets[i]!]));
  const tuning = tuningSplit.queries.map((terms, i) => ({ terms, targets: tuningSplit.targets[i]!, ...(seenRows.has(terms) ? { seen: seenRows.get(terms)! } : {}) }));

  let queries: string[];
  let targets: Set<number>[];
  let judgments: JudgmentInput[];
  let file: EvalSet | undefined;
  let source: string;
  if (src.clicks) {
    file = await loadEvalFile({ clicks: src.clicks, ...(src.judgments ? { judgments: src.judgments } : {}), itemIds: ids });
    ({ queries, targets, judgments } = file);
    source = `${src.clicks}${src.judgments ? ` + ${src.judgments}` : ""}`;
  } else {
    const test = split((q, id) => !tuningPair(q, id));
    ({ queries, targets } = test);
    source = `held-out clicks of the import (test half)${src.judgments ? ` + ${src.judgments}` : ""}`;
    if (src.judgments) {
      file = await loadEvalFile({ judgments: src.judgments, itemIds: ids });
      judgments = file.judgments;
    } else {
      judgments = (await allTableNames(db)).includes(IMPORT_TABLES.judgments)
        ? ((await (await db.openTable(IMPORT_TABLES.judgments)).query().select(["terms", "item_id", "grade"]).toArray()) as JudgmentInput[])
        : [];
    }
  }
  if (queries.length === 0) {
    throw new TrainError(
      "NO_TRAINING_DATA",
      src.clicks
        ? `${src.clicks} has no usable (query, item) rows for this catalog; see the skipped rows above`
        : `this import holds no held-out clicks to evaluate on; re-import with --eval-fraction > 0 (default 0.1) or --eval-clicks FILE, or pass vitrine eval --clicks FILE`,
    );
  }

  // Slices against the training log: a pair clicked in training, a query typed in training, an item clicked in training.
  const trainPairs = new Set<string>();
  const trainQueries = new Set<string>();
  const trainItems = new Set<number>();
  for (let i = 0; i < data.pairs.query.length; i++) {
    const row = data.pairs.item[i]!;
    trainPairs.add(pairKey(data.pairs.query[i]!, ids[row]!));
    trainQueries.add(data.pairs.query[i]!);
    trainItems.add(row);
  }
  const seenPair = (q: number, row: number) => trainPairs.has(pairKey(queries[q]!, ids[row]!));
  const slices: Slice[] = [
    // Filtered: the query's training clicks leave the ranking, so a model is not marked down for
    // ranking known-relevant items first, nor credited for it (that is memory, not generalisation).
    { name: SLICES.unseen, item: (q, row) => !seenPair(q, row), exclude: seenPair },
    { name: SLICES.seen, item: seenPair },
    { name: SLICES.head, query: (q) => trainQueries.has(queries[q]!) },
    { name: SLICES.tail, query: (q) => !trainQueries.has(queries[q]!) },
    { name: SLICES.cold, item: (_q, row) => !trainItems.has(row) },
  ];
  slices.push(...(await loadTitleSlices(sourceDir, { queries, itemIds: ids })));
  slices.push(...breadthSlices(queries, judgments, seenPair));
  let unseenPairs = 0;
  targets.forEach((t, q) => t.forEach((row) => void (seenPair(q, row) ? 0 : unseenPairs++)));
  const logged = await readLoggedQueries(db, manifest.tables[IMPORT_TABLES.clicks]);
  const popularity = popularityOf(data.pairs.item, data.pairs.weight, ids.length);
  const fitPrior = src.prior !== false;
  return { dataDir, sourceDir, data, catalog, queries, targets, tuning, logged, popularity, fitPrior, judgments, slices, unseenPairs, source, ...(file ? { file } : {}) };
}

/**
 * The unseen-pair slice split by how many items the query's judgments call relevant: broad (more
 * than BROAD_QUERY_RELEVANT) and narrow; unjudged queries are in neither, and no judgments give none.
 */
export function breadthSlices(queries: readonly string[], judgments: readonly JudgmentInput[], seenPair: (q: number, row: number) => boolean): Slice[] {
  if (judgments.length === 0) return [];
  const relevant = new Map<string, Set<string>>();
  for (const j of judgments) if (j.grade > 0) (relevant.get(j.terms) ?? relevant.set(j.terms, new Set()).get(j.terms)!).add(j.item_id);
  const breadth = queries.map((q) => relevant.get(q)?.size ?? 0);
  const unseen = { item: (q: number, row: number) => !seenPair(q, row), exclude: seenPair };
  return [
    { name: SLICES.unseenBroad, query: (q) => breadth[q]! > BROAD_QUERY_RELEVANT, ...unseen },
    { name: SLICES.unseenNarrow, query: (q) => breadth[q]! > 0 && breadth[q]! <= BROAD_QUERY_RELEVANT, ...unseen },
  ];
}

/** Encodes canonical query terms to unit vectors, in order. */
export type QueryEncode = (terms: readonly string[]) => Promise<Float32Array[]>;

/** A model's vectors: the catalog's (row-major, catalog order) and its query encoder. */
export interface ModelVectors {
  /** n × dim item vectors in catalog row order. */
  items: Float32Array;
  /** Vector dimension. */
  dim: number;
  /** Query encoder. */
  encode: QueryEncode;
}

/** How an unpublished model's index is built, as publish would build it. */
export interface IndexChoice {
  /** "fit" (default): fit on the tuning half as publish does; or a fixed blend. */
  blend?: "fit" | Blend;
  /** The lexical channel (default true). */
  lexical?: boolean;
  /** Fit the popularity prior's weight with the blend (default: the context's `fitPrior`); a fixed blend sets its own. */
  prior?: boolean;
}

/** The index a publish of these vectors would serve from: blend fitted on the tuning half, qid lists precomputed. */
export async function candidateIndex(ctx: EvalContext, v: ModelVectors, choice: IndexChoice = {}): Promise<{ index: SearchIndex; fit: BlendFit }> {
  const index = buildSearchIndex(itemColumnsOf(ctx.catalog), { vectors: v.items, dim: v.dim, lexical: choice.lexical ?? true, popularity: ctx.popularity });
  const fit =
    choice.blend && choice.blend !== "fit"
      ? { blend: choice.blend, queries: 0, grid: [], reason: "fixed" }
      : await fitBlend(index, ctx.tuning, { encode: v.encode, exactLimit: EVAL_EXACT_LIMIT, prior: choice.prior ?? ctx.fitPrior });
  index.blend = fit.blend;
  const lists = new Map<string, QidList>();
  const CHUNK = 512;
  for (let s = 0; s < ctx.logged.length; s += CHUNK) {
    const part = ctx.logged.slice(s, s + CHUNK);
    for (const { list } of await precomputeQidLists(index, part, await v.encode(part.map((q) => q.terms)), EVAL_TOP_K, EVAL_EXACT_LIMIT)) lists.set(list.terms, list);
  }
  index.qidList = qidListsFromMap(lists);
  return { index, fit };
}

/** Rank every test query through the retrieve engine (understanding, qid lists, both channels, relaxation); rows per query. */
export async function rankQueries(ctx: EvalContext, index: SearchIndex, encode: QueryEncode): Promise<Int32Array[]> {
  const out: Int32Array[] = [];
  for (const q of ctx.queries) {
    const r = await runRetrieve(index, { query: q, k: EVAL_TOP_K }, { encode: async (t) => (await encode([t]))[0]!, exactLimit: EVAL_EXACT_LIMIT });
    out.push(Int32Array.from(r.hits, (h) => h.row));
  }
  return out;
}

/** Every metric, overall and per slice, of rankings of the test queries. */
export function scoreRankings(ctx: EvalContext, name: string, rows: readonly Int32Array[]): VariantResult {
  const evalQueries = buildEvalQueries({ queries: ctx.queries, targets: ctx.targets, rankings: rows, itemIds: ctx.data.items.ids, judgments: ctx.judgments });
  return { name, metrics: evaluateRankings({ queries: evalQueries, itemCategories: ctx.data.items.categories, slices: ctx.slices }) };
}

/** Rank through an index and score: the variant row and the rankings. */
export async function scoreIndex(ctx: EvalContext, name: string, index: SearchIndex, encode: QueryEncode): Promise<{ variant: VariantResult; rows: Int32Array[] }> {
  const rows = await rankQueries(ctx, index, encode);
  return { variant: scoreRankings(ctx, name, rows), rows };
}

/** The untrained lexical hash encoder's vectors (title + brand + category vs the query). */
export function hashBaselineVectors(ctx: EvalContext): ModelVectors {
  const hash = createHashEncoder();
  const c = ctx.catalog;
  const texts = c.titles.map((t, i) => [t, c.brands[i], c.categories[i]].filter(Boolean).join(" "));
  const items = new Float32Array(texts.length * hash.dim);
  hash.encode(texts).forEach((v, i) => items.set(v, i * hash.dim));
  return { items, dim: hash.dim, encode: async (ts) => hash.encode([...ts]) };
}

/**
 * The first `n` queries' top 5 as report examples, each item with the thumbnail the import made of
 * its image, inlined as a PNG data URI: it shows for any catalog (URLs, local paths, any layout),
 * and the report neither links into the server's folders nor fetches anything.
 */
export async function exampleQueries(ctx: EvalContext, variant: string, rows: readonly Int32Array[], n = 4): Promise<ExampleQuery[]> {
  const items = ctx.data.items;
  const S = items.thumbSize;
  const bytes = S * S * 3;
  const imageOf = async (row: number): Promise<string | null> => {
    if (items.textOnly[row] || items.thumbs.length < (row + 1) * bytes) return null;
    const png = await sharp(items.thumbs.subarray(row * bytes, (row + 1) * bytes), { raw: { width: S, height: S, channels: 3 } })
      .png()
      .toBuffer();
    return `data:image/png;base64,${png.toString("base64")}`;
  };
  return Promise.all(
    ctx.queries.slice(0, n).map(async (query, q) => ({
      query,
      variant,
      results: await Promise.all(
        Array.from(rows[q]!.slice(0, 5), async (row) => {
          const image = await imageOf(row);
          return { id: items.ids[row]!, title: items.titles[row]!, ...(image ? { image } : {}), clicked: ctx.targets[q]!.has(row) };
        }),
      ),
    })),
  );
}
