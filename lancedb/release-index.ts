// One release held in memory for serving: item columns, brand/category postings, vectors and the
// qid map. qid hits and selective filters are answered from here in well under a millisecond;
// unselective vector searches go to the in-memory IVF index (core/simd) on releases larger than
// the exact limit, LanceDB's ANN index where there is none (DESIGN §6, §10).
import type { Table as ArrowTable } from "apache-arrow";
import type * as lancedb from "@lancedb/lancedb";
import {
  buildIvfIndex,
  buildSearchIndex,
  restoreIvfIndex,
  type IvfIndex,
  ivfListsFor,
  kernelSupported,
  LexicalIndex,
  lexicalDocsOf,
  VectorKernel,
  yieldToEventLoop,
  type ItemRecord,
  type QidList,
  type ReleaseInfo,
  type SearchIndex,
} from "../core/index.ts";
import type { ReleaseHandles } from "./open-release.ts";
import { readIvfLayout } from "./ivf-table.ts";
import { ivfWorkerPass } from "./ivf-workers.ts";

/** A loaded release: everything retrieval reads per request (the engine's SearchIndex and the item records). */
export interface ReleaseIndex extends SearchIndex {
  info: ReleaseInfo;
  handles: ReleaseHandles;
  ids: string[];
  rowOf: Map<string, number>;
  titles: string[];
  brands: (string | null)[];
  categories: (string | null)[];
  prices: (number | null)[];
  /** The catalog's image reference, null for items without a usable image (text-only). */
  images: (string | null)[];
  textOnly: boolean[];
  attributeKeys: string[];
  /** Attribute values by key, one entry per row. */
  attributeColumns: Map<string, (string | null)[]>;
  /** Number of qid lists. */
  qidCount: number;
  /** Where the IVF index came from: restored from the release's `ivf_rNNN`, built at load, or none. */
  ivfSource: "stored" | "built" | null;
  /** The stored record of a row. */
  record(r: number): ItemRecord;
}

function strings(t: ArrowTable, name: string): (string | null)[] {
  const c = t.getChild(name);
  return c ? ([...c] as (string | null)[]) : new Array<string | null>(t.numRows).fill(null);
}

// Copy a FixedSizeList<Float32> column out of Arrow's chunks into one flat buffer (`out`: where
// the kernel wants them, in its wasm memory).
function flatVectors(t: ArrowTable, dim: number, out: Float32Array = new Float32Array(t.numRows * dim)): Float32Array {
  const col = t.getChild("vector");
  if (!col) throw new Error("items table has no vector column");
  let o = 0;
  for (const chunk of col.data) {
    const child = chunk.children[0]!;
    const values = child.values as Float32Array;
    const start = (chunk.offset + child.offset) * dim;
    out.set(values.subarray(start, start + chunk.length * dim), o);
    o += chunk.length * dim;
  }
  return out;
}

async function loadQids(table: lancedb.Table): Promise<ArrowTable> {
  return (await table.query().select(["qid", "terms", "item_ids", "scores"]).toArrow()) as unknown as ArrowTable;
}

/** Options of loadReleaseIndex. */
export interface LoadReleaseOptions {
  /** The serving exactLimit: a release with more rows gets the in-memory IVF index for unselective searches (default 100,000; Infinity: never). */
  exactLimit?: number;
  /** Called when the release's stored IVF index cannot be used (it is built instead). */
  onIvfFallback?: (err: unknown) => void;
  /** Worker threads for the IVF index's pass over every row, restored or built (default: the available cores; 1: this thread). */
  ivfWorkers?: number;
}

// The kernel, or null where the runtime cannot reserve its memory in one piece (then exact scans
// run in JS with the same results, and unselective searches go to LanceDB's ANN as before).
function newKernel(n: number, dim: number, lists: number): VectorKernel | null {
  try {
    return new VectorKernel({ n, dim, lists });
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** Load a release into memory. */
export async function loadReleaseIndex(handles: ReleaseHandles, opts: LoadReleaseOptions = {}): Promise<ReleaseIndex> {
  const dim = handles.encoder.dim;
  // Releases published before the popularity prior have no such column: they serve without it.
  const hasPopularity = (await handles.items.schema()).fields.some((f) => f.name === "popularity");
  const cols = ["id", "vector", "title", "brand", "category", "price", "image", "text_only", ...(hasPopularity ? ["popularity"] : [])];
  const hasAttrs = handles.knownAttributes.size > 0;
  const [items, qids] = await Promise.all([
    handles.items
      .query()
      .select(hasAttrs ? [...cols, "attributes"] : cols)
      .toArrow() as unknown as Promise<ArrowTable>,
    loadQids(handles.qids),
  ]);
  // A server loads the next release while it answers with the current one: each step below is a
  // pass over the columns (tens of ms at 100k items), so the event loop gets a turn between them,
  // and the BM25 build (the largest) yields every few ms.
  const n = items.numRows;
  const ids = strings(items, "id") as string[];
  const rowOf = new Map(ids.map((id, r) => [id, r]));
  await yieldToEventLoop();
  const brands = strings(items, "brand");
  const categories = strings(items, "category");
  await yieldToEventLoop();
  const attributeKeys = [...handles.knownAttributes].sort();
  const attributeColumns = new Map<string, (string | null)[]>();
  if (hasAttrs) {
    const s = items.getChild("attributes")!;
    for (const k of attributeKeys) {
      const child = s.getChild(k as never) as unknown as Iterable<string | null> | null;
      const vals = child ? [...child] : new Array<string | null>(n).fill(null);
      // A null struct row makes every child null, whatever the child buffer holds.
      attributeColumns.set(
        k,
        vals.map((v, r) => (s.isValid(r) ? v : null)),
      );
      await yieldToEventLoop();
    }
  }

  // qid → row of the qids table; lists are decoded lazily (40M ids for 200k qids × 200 would
  // take seconds to map up front, and most qids are never asked for between reloads).
  const qidRow = new Map<number, number[]>();
  const qidCol = qids.getChild("qid")!;
  for (let i = 0; i < qids.numRows; i++) {
    const q = qidCol.get(i) as number;
    const l = qidRow.get(q);
    if (l) l.push(i);
    else qidRow.set(q, [i]);
  }
  const termsCol = qids.getChild("terms")!;
  const itemIdsCol = qids.getChild("item_ids")!;
  const scoresCol = qids.getChild("scores")!;
  const decoded = new Map<number, QidList>();
  await yieldToEventLoop();

  const titles = strings(items, "title") as string[];
  const textOnly = [...(items.getChild("text_only") ?? [])] as boolean[];
  // An item whose image could not be loaded at import has none to show: null, never a reference
  // the API could not serve (GET /v1/images/:id serves what the import loaded).
  const images = strings(items, "image").map((v, r) => (textOnly[r] ? null : v));
  const prices = [...(items.getChild("price") ?? [])] as (number | null)[];
  await yieldToEventLoop();
  // Vectors go straight into the SIMD kernel's memory where it runs (no second copy); a release
  // too large for an exact scan of everything also gets the IVF index, built here, yielding.
  const lists = n > (opts.exactLimit ?? 100_000) ? ivfListsFor(n) : 0;
  const kernel = kernelSupported(n, dim, lists) ? newKernel(n, dim, lists) : null;
  const vectors = flatVectors(items, dim, kernel?.vectors);
  await yieldToEventLoop();
  // The index stored at publish when there is one that fits (one pass over the vectors), else built
  // here (k-means and every row assigned: most of a large release's load).
  let ivf: IvfIndex | null = null;
  let ivfSource: ReleaseIndex["ivfSource"] = null;
  if (kernel && lists > 0) {
    const stored = handles.ivf ? await readIvfLayout(handles.ivf, n).catch((e: unknown) => (opts.onIvfFallback?.(e), null)) : null;
    const rowPass = ivfWorkerPass({ ...(opts.ivfWorkers ? { workers: opts.ivfWorkers } : {}) });
    if (stored) ivf = await restoreIvfIndex(kernel, stored, { rowPass }).catch((e: unknown) => (opts.onIvfFallback?.(e), null));
    ivfSource = ivf ? "stored" : "built";
    ivf ??= await buildIvfIndex(kernel, { rowPass });
  }
  const itemColumns = { titles, brands, categories, prices, attributeColumns };
  const base = buildSearchIndex(itemColumns, {
    vectors,
    dim,
    blend: handles.retrieval.blend,
    popularity: hasPopularity ? Float32Array.from(items.getChild("popularity")!.toArray() as Float32Array) : null,
    lexical: false,
    lexiconValues: { brands: handles.lexicon.brands.map((e) => e.value), categories: handles.lexicon.categories.map((e) => e.value) },
  });
  if (handles.retrieval.lexical) {
    await yieldToEventLoop();
    base.lexical = await LexicalIndex.buildAsync(lexicalDocsOf(itemColumns));
  }
  const index: ReleaseIndex = {
    ...base,
    kernel,
    ivf,
    info: handles.info,
    handles,
    ids,
    rowOf,
    titles,
    brands,
    categories,
    prices,
    images,
    textOnly,
    attributeKeys,
    attributeColumns,
    qidCount: qids.numRows,
    ivfSource,
    qidList(qid: number, terms: string): QidList | null {
      const rowsOfQid = qidRow.get(qid);
      if (!rowsOfQid) return null;
      for (const i of rowsOfQid) {
        // Same qid, different terms is a hash collision: not a hit.
        if (termsCol.get(i) !== terms) continue;
        const key = i;
        const cached = decoded.get(key);
        if (cached) return cached;
        const idList = [...(itemIdsCol.get(i) as Iterable<string>)];
        const scoreList = scoresCol.get(i) as Iterable<number>;
        const rows: number[] = [];
        const scores: number[] = [];
        let j = 0;
        for (const s of scoreList) {
          const r = rowOf.get(idList[j++]!);
          if (r !== undefined) {
            rows.push(r);
            scores.push(s);
          }
        }
        const list = { terms, rows: Uint32Array.from(rows), scores: Float32Array.from(scores) };
        decoded.set(key, list);
        return list;
      }
      return null;
    },
    record(r: number): ItemRecord {
      const attributes: Record<string, string> = {};
      for (const k of attributeKeys) {
        const v = attributeColumns.get(k)![r];
        if (v !== null && v !== undefined) attributes[k] = v;
      }
      return {
        id: ids[r]!,
        title: index.titles[r]!,
        brand: brands[r] ?? null,
        category: categories[r] ?? null,
        price: prices[r] ?? null,
        image: index.images[r] ?? null,
        attributes,
        textOnly: index.textOnly[r] ?? false,
      };
    },
  };
  return index;
}
