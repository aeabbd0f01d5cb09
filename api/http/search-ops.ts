// The search operations behind both transports (tRPC and REST): retrieve with its result window and
// cursors, similar items, each answered search counted in the metrics (path, zero results, items
// returned) and written as one structured query log line. One implementation, two transports.
import type { RetrieveRequest, SimilarRequest } from "../../core/index.ts";
import { ApiError } from "./errors.ts";
import { cursorBinding, encodeCursor, resolveCursor } from "./cursor.ts";
import type { CachedCall } from "./response-cache.ts";
import type { AppLogger, MetricsRecorder, SearchSample } from "./telemetry.ts";
import type { RetrievalService, RetrieveResult, SimilarResult } from "../service/types.ts";

/** The default result window: offset + k of a retrieve stays within it. */
export const DEFAULT_MAX_WINDOW = 1_000;

/** Options of createSearchOps. */
export interface SearchOpsOptions {
  /** The retrieval service. */
  service: RetrievalService;
  /** Where the query log lines go. */
  logger: AppLogger;
  /** Where the search metrics go. */
  metrics: MetricsRecorder;
  /** Largest offset + k a retrieve may ask for (default DEFAULT_MAX_WINDOW). */
  maxWindow?: number;
}

/** Who asked, for the metrics and the query log. */
export interface SearchCall {
  /** The request id (x-request-id). */
  requestId: string;
  /** The API key's public id (never the key), or null. */
  keyId: string | null;
  /** Direct, or forwarded by the edge Worker (x-vitrine-via: edge). */
  via: "direct" | "edge";
}

/** The search operations bound to one request. */
export interface SearchOps {
  /** A page of a query's ranking (offset or cursor), with nextCursor while the window allows a next page. */
  retrieve(req: RetrieveRequest): Promise<RetrieveResult>;
  /** An item's neighbours in item-embedding space. */
  similar(req: SimilarRequest): Promise<SimilarResult>;
  /** Count and log a retrieve the response cache answered (response-cache.ts), as retrieve would have. */
  replay(call: CachedCall, ms: number): void;
}

/** The query log fields of a retrieve (its cursor resolved). */
export function retrieveLogFields(req: RetrieveRequest): Record<string, unknown> {
  return { query: req.query, k: req.k, offset: req.offset ?? 0, filtered: req.filters !== undefined, facets: req.facets ?? [] };
}

const elapsed = (t: number) => Math.round((performance.now() - t) * 1000) / 1000;

/** Build the search operations; `forCall` binds them to one request. */
export function createSearchOps(opts: SearchOpsOptions): { forCall(call: SearchCall): SearchOps; maxWindow: number } {
  const { service, logger, metrics } = opts;
  const maxWindow = opts.maxWindow ?? DEFAULT_MAX_WINDOW;

  const record = (call: SearchCall, sample: Omit<SearchSample, "via">, fields: Record<string, unknown>) => {
    metrics.observeSearch?.({ ...sample, via: call.via });
    // One line per answered search; the key's public id only, never key material.
    logger.info(
      { event: "query", op: sample.op, ...fields, path: sample.path, count: sample.items, ms: sample.ms, release: sample.release, via: call.via, keyId: call.keyId, requestId: call.requestId },
      "query",
    );
  };

  return {
    maxWindow,
    forCall(call) {
      return {
        async retrieve(input) {
          const t0 = performance.now();
          const req = resolveCursor(input);
          const offset = req.offset ?? 0;
          if (offset + req.k > maxWindow) {
            const message = `offset + k = ${offset + req.k} is past the result window of ${maxWindow} items (maxWindow)${offset < maxWindow ? `; ask for k ≤ ${maxWindow - offset} here` : ""}, or narrow the query with filters instead of paging deeper`;
            throw new ApiError("INVALID_INPUT", message, { issues: [{ field: offset > 0 ? "offset" : "k", message }] });
          }
          const r = await service.retrieve(req);
          const next = offset + req.k;
          const out: RetrieveResult = r.more && next < maxWindow ? { ...r, nextCursor: encodeCursor({ release: r.release, offset: next, binding: cursorBinding(req) }) } : r;
          record(call, { op: "retrieve", path: r.path, items: r.items.length, ms: elapsed(t0), release: r.release }, retrieveLogFields(req));
          return out;
        },
        async similar(req) {
          const t0 = performance.now();
          const r = await service.similar(req);
          record(call, { op: "similar", path: "similar", items: r.items.length, ms: elapsed(t0), release: r.release }, { id: req.id, k: req.k, filtered: req.filters !== undefined });
          return r;
        },
        replay(cached, ms) {
          record(call, { op: "retrieve", path: "qid", items: cached.items, ms, release: cached.release }, { ...cached.fields, cache: true });
        },
      };
    },
  };
}
