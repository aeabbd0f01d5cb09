// Push a release to Workers KV for the edge Worker (api/edge/worker.ts): its qid lists and lexicon in
// bulk batches, then its meta record, then — only once every batch is stored — the `active`
// pointer. A push that dies part-way leaves keys nothing points at; the edge keeps serving the
// release the pointer names.
import { openStore } from "./connect.ts";
import { openRelease } from "./open-release.ts";
import { edgeEntries, edgeMetaEntry, type EdgeExportSummary } from "./edge-export.ts";
import { kvBatches, type KV_BULK_LIMITS, type KvBatch, type KvClient } from "./edge-kv-http.ts";
import { moveEdgePointer, putKv } from "./edge-pointer.ts";
import { recordEdgeKeys } from "./edge-record.ts";

/** Where a push is. */
export interface EdgePushProgress {
  /** Release being pushed. */
  release: string;
  /** "lists": qid rows read and batched; "pointer": the flip. */
  stage: "lists" | "pointer";
  /** Units done (qid rows for "lists"). */
  done: number;
  /** Units in all. */
  total: number;
}

/** Options of pushReleaseToEdge. */
export interface EdgePushOptions {
  /** Data directory holding store/. */
  dataDir: string;
  /** Release to push (default: the active one). */
  release?: string;
  /** Where the KV pairs go (createCloudflareKv). */
  writer: KvClient;
  /** Point the edge at the release afterwards (default: only when it is the active release). */
  flip?: boolean;
  /** Items per list pushed (default: the whole list). */
  maxListLength?: number;
  /** Bulk requests in flight at once (default 2). */
  concurrency?: number;
  /** Override the bulk limits (tests). */
  limits?: Partial<Record<keyof typeof KV_BULK_LIMITS, number>>;
  /** Progress callback. */
  onProgress?: (p: EdgePushProgress) => void;
  /** Stop after this many batches, before the meta record and the pointer (tests: a half-written push). */
  stopAfterBatches?: number;
}

/** What a push did. */
export interface EdgePushResult {
  /** Release pushed. */
  release: string;
  /** qid keys written. */
  qids: number;
  /** All keys written, pointer included. */
  keys: number;
  /** Request bytes sent (first attempts). */
  bytes: number;
  /** Bulk batches. */
  batches: number;
  /** HTTP requests and retries. */
  requests: number;
  retries: number;
  /** Whether the pointer now names this release. */
  flipped: boolean;
  /** Whether the push stopped early (stopAfterBatches). */
  partial: boolean;
  /** Wall time. */
  seconds: number;
}

/** Push a release's qid lists and lexicon to KV, then flip the edge's pointer to it. */
export async function pushReleaseToEdge(opts: EdgePushOptions): Promise<EdgePushResult> {
  const t0 = performance.now();
  const h = await openRelease(opts.dataDir, opts.release);
  const release = h.info.id;
  // Before the first key: gc must find the keys of a push that dies half-way.
  await recordEdgeKeys(await openStore(opts.dataDir), release);
  const flip = opts.flip ?? h.info.active;
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const summary: EdgeExportSummary = { qids: 0, listLength: 0 };
  const totals = { keys: 0, bytes: 0, batches: 0 };
  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;

  const send = (b: KvBatch): Promise<void> => {
    totals.keys += b.keys.length;
    totals.bytes += b.bytes;
    totals.batches++;
    return opts.writer.putBatch(b);
  };
  const entries = edgeEntries(
    h,
    {
      ...(opts.maxListLength !== undefined ? { maxListLength: opts.maxListLength } : {}),
      onProgress: (done, total) => opts.onProgress?.({ release, stage: "lists", done, total }),
    },
    summary,
  );
  let stopped = false;
  for await (const batch of kvBatches(entries, opts.limits)) {
    if (opts.stopAfterBatches !== undefined && totals.batches >= opts.stopAfterBatches) {
      stopped = true;
      break;
    }
    const p: Promise<void> = send(batch)
      .catch((e: unknown) => {
        failure ??= e;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= concurrency) await Promise.race(inflight);
    if (failure) break;
  }
  await Promise.all(inflight);
  if (failure) throw failure;
  const result = (flipped: boolean, partial: boolean): EdgePushResult => ({
    release,
    qids: summary.qids,
    ...totals,
    requests: opts.writer.stats.requests,
    retries: opts.writer.stats.retries,
    flipped,
    partial,
    seconds: (performance.now() - t0) / 1000,
  });
  if (stopped) return result(false, true);

  // Every list is stored: record the release as complete, then (and only then) point the edge at it.
  const meta = edgeMetaEntry(h, summary);
  await putKv(opts.writer, meta.key, meta.value);
  totals.keys++;
  totals.batches++;
  if (flip) {
    opts.onProgress?.({ release, stage: "pointer", done: 0, total: 1 });
    await moveEdgePointer(opts.dataDir, opts.writer, release, { verified: true });
    totals.keys++;
    totals.batches++;
    opts.onProgress?.({ release, stage: "pointer", done: 1, total: 1 });
  }
  return result(flip, false);
}
