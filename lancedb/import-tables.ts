import type * as lancedb from "@lancedb/lancedb";
import { makeArrowTable } from "@lancedb/lancedb";
import { Binary, Bool, Field, Float64, Int32, Schema, Uint32, Utf8 } from "apache-arrow";

/** Names of the tables an import writes. */
export const IMPORT_TABLES = { catalog: "catalog", clicks: "clicks", clicksEval: "clicks_eval", judgments: "judgments" } as const;

/** One imported catalog row as stored (attributes as JSON text: keys differ per catalog). */
export interface CatalogRow {
  id: string;
  title: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  image: string | null;
  attributes: string | null;
  /** true when the item has no usable image and trains/embeds on its title alone. */
  text_only: boolean;
  /** Why the image was not usable, when it was given and failed. */
  image_error: string | null;
  /** Content hash of the source image (the thumbnail cache key). */
  image_key: string | null;
  /** size×size×3 RGB thumbnail, row-major, ready to cut into the patch grid. */
  thumb: Uint8Array | null;
  /** Line (or Parquet row) of the item in its source file. */
  line: number;
}

/** One imported click row, with its qid and canonical terms. */
export interface ClickRow {
  query: string;
  item_id: string;
  clicks: number;
  purchases: number | null;
  ts: string | null;
  qid: number;
  terms: string;
  line: number;
}

/** One graded judgment row. */
export interface JudgmentRow {
  query: string;
  item_id: string;
  grade: number;
  qid: number;
  terms: string;
}

const s = () => new Utf8();
export const CATALOG_SCHEMA = new Schema([
  new Field("id", s(), false),
  new Field("title", s(), false),
  new Field("brand", s(), true),
  new Field("category", s(), true),
  new Field("price", new Float64(), true),
  new Field("image", s(), true),
  new Field("attributes", s(), true),
  new Field("text_only", new Bool(), false),
  new Field("image_error", s(), true),
  new Field("image_key", s(), true),
  new Field("thumb", new Binary(), true),
  new Field("line", new Int32(), false),
]);
export const CLICK_SCHEMA = new Schema([
  new Field("query", s(), false),
  new Field("item_id", s(), false),
  new Field("clicks", new Int32(), false),
  new Field("purchases", new Int32(), true),
  new Field("ts", s(), true),
  new Field("qid", new Uint32(), false),
  new Field("terms", s(), false),
  new Field("line", new Int32(), false),
]);
export const JUDGMENT_SCHEMA = new Schema([
  new Field("query", s(), false),
  new Field("item_id", s(), false),
  new Field("grade", new Float64(), false),
  new Field("qid", new Uint32(), false),
  new Field("terms", s(), false),
]);

/** Writes a table batch by batch; the first batch replaces any previous table of that name. */
export class TableWriter<R extends object> {
  private table: lancedb.Table | undefined;
  private pending: R[] = [];
  rows = 0;
  constructor(
    private readonly db: lancedb.Connection,
    private readonly name: string,
    private readonly schema: Schema,
    private readonly batchSize = 2_000,
  ) {}

  /** Queue a row; flushes a batch when full. */
  async push(row: R): Promise<void> {
    this.pending.push(row);
    if (this.pending.length >= this.batchSize) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 && this.table) return;
    const data = makeArrowTable(this.pending as Record<string, unknown>[], { schema: this.schema });
    this.rows += this.pending.length;
    this.pending = [];
    if (!this.table) this.table = await this.db.createTable(this.name, data, { mode: "overwrite" });
    else await this.table.add(data);
  }

  /** Flush what is left (creating an empty table if no row came) and return the table's version. */
  async close(): Promise<number> {
    await this.flush();
    return this.table!.version();
  }
}
