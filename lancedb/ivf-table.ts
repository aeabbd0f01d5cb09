// `ivf_rNNN`: the in-memory IVF index of a release (core/simd/ivf-index.ts), built once at publish
// so that `serve` and each cluster worker restore it in one pass over the vectors instead of running
// k-means and assigning every row (most of a large release's load). One row per list: its number,
// its centroid and its member rows. Optional: a release without it (older, or small enough to scan
// exactly) builds the index at load as before.
import type * as lancedb from "@lancedb/lancedb";
import type { Vector } from "apache-arrow";
import { buildIvfIndex, ivfLayoutOf, ivfListsFor, kernelSupported, VectorKernel, type IvfLayout } from "../core/index.ts";
import { ivfWorkerPass } from "./ivf-workers.ts";
import { tableOf, uint32Column, uint32ListColumn, vectorColumn } from "./arrow.ts";
import { ivfSchema } from "./release-schemas.ts";

/** Build the IVF index serving would build for these vectors and write it as `name`; false when the runtime has no SIMD kernel for them (serving then has none either). */
export async function writeIvfTable(db: lancedb.Connection, name: string, vectors: Float32Array, dim: number): Promise<boolean> {
  const n = vectors.length / dim;
  const lists = ivfListsFor(n);
  if (!kernelSupported(n, dim, lists)) return false;
  const kernel = new VectorKernel({ n, dim, lists });
  kernel.vectors.set(vectors);
  const layout = ivfLayoutOf(await buildIvfIndex(kernel, { rowPass: ivfWorkerPass() }), kernel);
  const lengths = Array.from({ length: lists }, (_, l) => layout.start[l + 1]! - layout.start[l]!);
  const data = tableOf(ivfSchema(dim), {
    list: uint32Column(Uint32Array.from({ length: lists }, (_, l) => l)),
    centroid: vectorColumn(layout.cents, dim),
    rows: uint32ListColumn(layout.order, lengths),
  });
  await db.createTable(name, data, { mode: "create" });
  return true;
}

/** Read a stored IVF layout for `n` rows back (restoreIvfIndex checks it against the vectors). */
export async function readIvfLayout(table: lancedb.Table, n: number): Promise<IvfLayout> {
  const rows = (await table.query().select(["list", "centroid", "rows"]).toArray()) as { list: number; centroid: Vector; rows: Vector }[];
  const lists = rows.length;
  const dim = rows[0]?.centroid.length ?? 0;
  const byList = new Array<{ centroid: Vector; rows: Vector } | undefined>(lists);
  for (const r of rows) if (r.list < lists) byList[r.list] = r;
  const cents = new Float32Array(lists * dim);
  const start = new Uint32Array(lists + 1);
  const members: Uint32Array[] = [];
  for (let l = 0; l < lists; l++) {
    const r = byList[l];
    if (!r) throw new RangeError(`stored IVF index does not fit these vectors: list ${l} is missing`);
    cents.set(r.centroid.toArray() as Float32Array, l * dim);
    const m = Uint32Array.from(r.rows.toArray() as Uint32Array);
    members.push(m);
    start[l + 1] = start[l]! + m.length;
  }
  const order = new Uint32Array(start[lists]!);
  for (let l = 0; l < lists; l++) order.set(members[l]!, start[l]!);
  return { n, dim, cents, start, order };
}
