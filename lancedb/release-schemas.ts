// Arrow schemas of the release tables (DESIGN §5). Built with LanceDB's own arrow copy (arrow.ts).
import type { Schema } from "apache-arrow";
import { arrow, vectorType } from "./arrow.ts";

const { Field, Schema: ArrowSchema, Utf8, Float64, Float32, Uint32, Bool, List, Struct } = arrow;
const str = () => new Utf8();

/** Names of the tables shared by every release. */
export const RELEASE_TABLES = { releases: "releases", active: "active_release" } as const;

/** Schema of `items_rNNN`: one row per catalog item with its vector, its popularity prior and an attribute struct. */
export function itemsSchema(dim: number, attributeKeys: readonly string[]): Schema {
  const fields: import("apache-arrow").Field[] = [
    new Field("id", str(), false),
    new Field("vector", vectorType(dim), false),
    new Field("title", str(), false),
    new Field("brand", str(), true),
    new Field("category", str(), true),
    new Field("price", new Float64(), true),
    new Field("image", str(), true),
    new Field("text_only", new Bool(), false),
    // The popularity prior (core popularity.ts) from the training clicks; absent in releases
    // published before it (they serve without a prior).
    new Field("popularity", new Float32(), false),
  ];
  // Lance cannot store a struct with no children: a catalog without attributes has no column, and
  // filterToSql turns any attribute test into NULL (knownAttributes is empty).
  if (attributeKeys.length > 0) {
    fields.push(new Field("attributes", new Struct(attributeKeys.map((k) => new Field(k, str(), true))), true));
  }
  return new ArrowSchema(fields);
}

/** Schema of `qids_rNNN`: the precomputed top-K per logged query. */
export const QIDS_SCHEMA: Schema = new ArrowSchema([
  new Field("qid", new Uint32(), false),
  new Field("terms", str(), false),
  new Field("item_ids", new List(new Field("item", str(), true)), false),
  new Field("scores", new List(new Field("item", new Float32(), true)), false),
]);

/** Schema of `lexicon_rNNN`: distinct brand and category values with item counts. */
export const LEXICON_SCHEMA: Schema = new ArrowSchema([new Field("field", str(), false), new Field("value", str(), false), new Field("count", new Uint32(), false)]);

/** Schema of `releases`: one row per complete release. */
export const RELEASES_SCHEMA: Schema = new ArrowSchema([
  new Field("id", str(), false),
  new Field("created_at", str(), false),
  new Field("items", new Uint32(), false),
  new Field("qids", new Uint32(), false),
  new Field("dim", new Uint32(), false),
  new Field("model", str(), false),
  new Field("model_config", str(), false),
  new Field("index_kind", str(), false),
  new Field("index_params", str(), false),
  new Field("scalar_indexes", str(), false),
  new Field("top_k", new Uint32(), false),
  new Field("attribute_keys", str(), false),
  new Field("import_tables", str(), false),
  new Field("publish_seconds", new Float64(), false),
  new Field("state", str(), false),
  // JSON { lexical, blend, fit }: the retrieval channels and the blend fitted at publish. Null in
  // releases published before hybrid retrieval (they serve vectors alone).
  new Field("retrieval", str(), true),
]);

/** Schema of `active_release`: the single-row pointer readers follow. */
export const ACTIVE_SCHEMA: Schema = new ArrowSchema([new Field("release", str(), false), new Field("previous", str(), true), new Field("updated_at", str(), false)]);

/** Schema of `ivf_rNNN`: one row per list of the release's IVF index (ivf-table.ts). */
export function ivfSchema(dim: number): Schema {
  return new ArrowSchema([new Field("list", new Uint32(), false), new Field("centroid", vectorType(dim), false), new Field("rows", new List(new Field("item", new Uint32(), true)), false)]);
}
