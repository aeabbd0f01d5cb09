// A release as Workers KV entries (layout: core/edge-layout.ts): every qid's precomputed list
// with the attributes of its items, the lexicon, and the meta record. Streams the qids table, so a
// large release is never held as KV values all at once.
import type { RecordBatch, Table as ArrowTable } from "apache-arrow";
import { EDGE_FORMAT, edgeLexiconKey, edgeMetaKey, edgeQidKey, type EdgeItem, type EdgeLexiconValue, type EdgeQidValue, type EdgeReleaseMeta } from "../core/index.ts";
import type { ReleaseHandles } from "./open-release.ts";

/** One key/value pair to write. */
export interface KvEntry {
  /** KV key (≤ 512 bytes). */
  key: string;
  /** The value, JSON text. */
  value: string;
}

/** Options of edgeEntries. */
export interface EdgeExportOptions {
  /** Push at most this many items per list (default: the whole list). Shorter lists only mean more forwards. */
  maxListLength?: number;
  /** Called after each batch of qid rows with rows done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What edgeEntries wrote, filled in as it goes (complete once the generator is done). */
export interface EdgeExportSummary {
  /** qid keys yielded. */
  qids: number;
  /** Longest list yielded. */
  listLength: number;
}

type ItemBody = Omit<EdgeItem, "score">;

// Everything a list entry shows or a filter reads, by item id, nulls left out.
async function itemBodies(h: ReleaseHandles): Promise<Map<string, ItemBody>> {
  const keys = [...h.knownAttributes].sort();
  const cols = ["id", "title", "brand", "category", "price", "image", "text_only", ...(keys.length ? ["attributes"] : [])];
  const t = (await h.items.query().select(cols).toArrow()) as unknown as ArrowTable;
  const col = (name: string) => t.getChild(name);
  const [ids, titles, brands, categories, prices, images, textOnly, attrs] = ["id", "title", "brand", "category", "price", "image", "text_only", "attributes"].map(col);
  const attrCols = keys.map((k) => [k, attrs?.getChild(k as never) ?? null] as const);
  const out = new Map<string, ItemBody>();
  for (let r = 0; r < t.numRows; r++) {
    const id = ids!.get(r) as string;
    const body: ItemBody = { id, title: titles!.get(r) as string };
    const brand = brands?.get(r) as string | null;
    const category = categories?.get(r) as string | null;
    const price = prices?.get(r) as number | null;
    const image = images?.get(r) as string | null;
    if (brand !== null && brand !== undefined) body.brand = brand;
    if (category !== null && category !== undefined) body.category = category;
    if (price !== null && price !== undefined) body.price = price;
    // As the origin's release index: an item without a usable image has none (text-only).
    if (image !== null && image !== undefined && textOnly?.get(r) !== true) body.image = image;
    // A null struct row makes every child null, whatever the child buffer holds.
    if (attrs && attrs.isValid(r)) {
      const a: Record<string, string> = {};
      for (const [k, c] of attrCols) {
        const v = c?.get(r) as string | null | undefined;
        if (v !== null && v !== undefined) a[k] = v;
      }
      if (Object.keys(a).length) body.attributes = a;
    }
    out.set(id, body);
  }
  return out;
}

async function* qidBatches(h: ReleaseHandles, columns: string[]): AsyncGenerator<RecordBatch> {
  for await (const b of h.qids.query().select(columns)) yield b as unknown as RecordBatch;
}

/** The KV entries of a release: its qid lists, then its lexicon (the meta record and the pointer come after, from the pusher). */
export async function* edgeEntries(h: ReleaseHandles, opts: EdgeExportOptions = {}, summary: EdgeExportSummary = { qids: 0, listLength: 0 }): AsyncGenerator<KvEntry> {
  const release = h.info.id;
  const maxLen = opts.maxListLength ?? Number.POSITIVE_INFINITY;
  const bodies = await itemBodies(h);

  // Pass 1: qids that several term strings hash to (collisions) share one key, so hold their
  // lists until all are seen; every other qid is written as soon as its row is read.
  const count = new Map<number, number>();
  for await (const b of qidBatches(h, ["qid"])) {
    const c = b.getChild("qid")!;
    for (let i = 0; i < b.numRows; i++) {
      const q = c.get(i) as number;
      count.set(q, (count.get(q) ?? 0) + 1);
    }
  }
  const total = [...count.values()].reduce((a, b) => a + b, 0);
  const pending = new Map<number, EdgeQidValue["lists"]>();
  let done = 0;
  for await (const b of qidBatches(h, ["qid", "terms", "item_ids", "scores"])) {
    const [qidCol, termsCol, idsCol, scoresCol] = ["qid", "terms", "item_ids", "scores"].map((n) => b.getChild(n)!);
    for (let i = 0; i < b.numRows; i++) {
      const qid = qidCol!.get(i) as number;
      const ids = [...(idsCol!.get(i) as Iterable<string>)];
      const scores = [...(scoresCol!.get(i) as Iterable<number>)];
      const items: EdgeItem[] = [];
      for (let j = 0; j < ids.length && items.length < maxLen; j++) {
        const body = bodies.get(ids[j]!);
        // The origin skips ids missing from the items table; so does the edge.
        if (body) items.push({ ...body, score: scores[j]! });
      }
      summary.listLength = Math.max(summary.listLength, items.length);
      const list = { terms: termsCol!.get(i) as string, items };
      const n = count.get(qid)!;
      if (n === 1) {
        summary.qids++;
        yield { key: edgeQidKey(release, qid), value: JSON.stringify({ format: EDGE_FORMAT, lists: [list] } satisfies EdgeQidValue) };
        continue;
      }
      const lists = pending.get(qid) ?? [];
      lists.push(list);
      if (lists.length < n) pending.set(qid, lists);
      else {
        pending.delete(qid);
        summary.qids++;
        yield { key: edgeQidKey(release, qid), value: JSON.stringify({ format: EDGE_FORMAT, lists } satisfies EdgeQidValue) };
      }
    }
    done += b.numRows;
    opts.onProgress?.(done, total);
  }
  const lexicon: EdgeLexiconValue = {
    format: EDGE_FORMAT,
    brands: h.lexicon.brands.map((e) => e.value),
    categories: h.lexicon.categories.map((e) => e.value),
  };
  yield { key: edgeLexiconKey(release), value: JSON.stringify(lexicon) };
}

/** The meta entry of a release, written once its lists and lexicon are stored. */
export function edgeMetaEntry(h: ReleaseHandles, summary: EdgeExportSummary): KvEntry {
  const meta: EdgeReleaseMeta = {
    format: EDGE_FORMAT,
    release: h.info.id,
    createdAt: h.info.createdAt,
    qids: summary.qids,
    listLength: summary.listLength,
    pushedAt: new Date().toISOString(),
  };
  return { key: edgeMetaKey(h.info.id), value: JSON.stringify(meta) };
}
