// REST JSON under /v1: the same operations as the tRPC router, described once in a route table
// that drives both the Hono handlers and the OpenAPI document (so the two cannot drift).
import type { Context as HonoContext, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { z } from "zod";
import { RetrieveRequestSchema, SimilarRequestSchema } from "../../core/index.ts";
import { authorize, type Auth } from "./auth.ts";
import { ApiError, fromZodError, toApiError } from "./errors.ts";
import { assertInputDepth, readCountedText } from "./input-guard.ts";
import { retrieveCost } from "./request-cost.ts";
import { resolveCursor } from "./cursor.ts";
import { joinAnswer, splitAnswer, type CachedCall, type ResponseCache } from "./response-cache.ts";
import { retrieveLogFields } from "./search-ops.ts";
import {
  ActivateInputSchema,
  ItemsGetInputSchema,
  ItemsResultSchema,
  LookupInputSchema,
  LookupResultSchema,
  ReleaseInfoSchema,
  ReleasesResultSchema,
  RetrieveResultSchema,
  RollbackInputSchema,
  SimilarResultSchema,
} from "./schemas.ts";
import type { AppEnv } from "./app-env.ts";
import type { Redactor } from "./redact.ts";
import type { SearchOps } from "./search-ops.ts";
import type { RetrievalService } from "../service/types.ts";
import type { JobsService } from "../jobs/types.ts";

/** Who may call a route: anyone, a read (or admin) key, or an admin key. */
export type Access = "public" | "read" | "admin";

/** A query-string parameter, for the OpenAPI document. */
export interface QueryParam {
  /** Parameter name. */
  name: string;
  /** Whether it must be present. */
  required: boolean;
  /** What it means. */
  description: string;
}

/** What a route's run gets besides the service and its input: the request's search operations, the jobs, the request's abort signal. */
export interface RouteContext {
  /** Retrieve and similar, bound to this request (metrics, query log, result window). */
  search: SearchOps;
  /** The job manager (null where the server runs none). */
  jobs: JobsService | null;
  /** Aborts when the client goes away (ends a stream). */
  signal: AbortSignal;
}

/** One REST operation. */
export interface RestRoute {
  /** HTTP method. */
  method: "GET" | "POST";
  /** Hono path pattern (`:name` for path parameters). */
  path: string;
  /** OpenAPI operationId; also the tRPC procedure it mirrors. */
  operationId: string;
  /** One-line summary for the document. */
  summary: string;
  /** Who may call it. */
  access: Access;
  /** Where the input comes from: a JSON body, the query string, the path, or nowhere. */
  inputFrom: "body" | "query" | "path" | "none";
  /** Schema the input is validated with (the one the tRPC procedure uses). */
  input?: z.ZodType;
  /** Query-string parameters (inputFrom "query"). */
  queryParams?: QueryParam[];
  /** Schema of the success response (each event's, for a stream), for the document. */
  output: z.ZodType;
  /** Status of a success (default 200). */
  status?: 200 | 202;
  /** "sse": run returns an async iterable of events, sent as server-sent events (default: one JSON body). */
  stream?: "sse";
  /** OpenAPI tag (default: "admin" for admin routes, else "retrieval"). */
  tag?: string;
  /** A request body for the document's examples. */
  example?: unknown;
  /** Tokens a valid input costs the key's rate limit (request-cost.ts; absent: 1, taken by the gate). */
  cost?: (input: never) => number;
  /** Whether an answer may go to the response cache (response-cache.ts), and what a hit logs; null: not this one. */
  cache?: (input: never, result: never) => CachedCall | null;
  /** Run the operation. */
  run(service: RetrievalService, input: never, auth: Auth, ctx: RouteContext): Promise<unknown>;
}

/** A route whose run is typed by its input schema. */
export const route = <S extends z.ZodType | undefined, R = unknown>(
  r: Omit<RestRoute, "run" | "input" | "cost" | "cache"> & {
    input?: S;
    run(service: RetrievalService, input: S extends z.ZodType ? z.output<S> : undefined, auth: Auth, ctx: RouteContext): Promise<R>;
    cost?: (input: S extends z.ZodType ? z.output<S> : undefined) => number;
    cache?: (input: S extends z.ZodType ? z.output<S> : undefined, result: R) => CachedCall | null;
  },
): RestRoute => r as unknown as RestRoute;

/** `?edge=` of the release switches. */
const EDGE_PARAM: QueryParam = {
  name: "edge",
  required: false,
  description: "false: leave the edge (Workers KV) where it is; true: it must follow; absent: it follows when the server has the Cloudflare credentials",
};

/** Every /v1 operation, in document order. */
export const REST_ROUTES: readonly RestRoute[] = [
  route({
    method: "POST",
    path: "/v1/retrieve",
    operationId: "retrieve",
    summary: "Retrieve a page of items for a query (offset or cursor), with optional filters (brand/category/price/attributes) and facet counts",
    access: "read",
    inputFrom: "body",
    input: RetrieveRequestSchema,
    output: RetrieveResultSchema,
    example: { query: "north peak dresses", k: 20, offset: 0, filters: { price: { lte: 80 } }, facets: ["brand", "category", "price"] },
    cost: retrieveCost,
    run: (_s, input, _auth, ctx) => ctx.search.retrieve(input),
    // Answers of the precomputed list alone (path "qid") are cached; a live search's are not.
    cache: (input, r) => (r.path === "qid" ? { items: r.items.length, release: r.release, fields: retrieveLogFields(resolveCursor(input)) } : null),
  }),
  route({
    method: "POST",
    path: "/v1/similar",
    operationId: "similar",
    summary: "Items similar to one item (its own vector in the release's item-embedding space), the item left out, with optional filters",
    access: "read",
    inputFrom: "body",
    input: SimilarRequestSchema,
    output: SimilarResultSchema,
    example: { id: "demo-000042", k: 10, filters: { price: { lte: 80 } } },
    cost: retrieveCost,
    run: (_s, input, _auth, ctx) => ctx.search.similar(input),
  }),
  route({
    method: "GET",
    path: "/v1/lookup",
    operationId: "lookup",
    summary: "Map a query to its qid and whether the release has a precomputed list for it",
    access: "read",
    inputFrom: "query",
    input: LookupInputSchema,
    queryParams: [
      { name: "query", required: true, description: "the search text" },
      { name: "release", required: false, description: "release id (default: the active one)" },
    ],
    output: LookupResultSchema,
    run: (s, input) => s.lookup(input.query, input.release),
  }),
  route({
    method: "POST",
    path: "/v1/items:get",
    operationId: "items.get",
    summary: "Fetch item records by id (up to 1000), in the order asked; unknown ids are left out",
    access: "read",
    inputFrom: "body",
    input: ItemsGetInputSchema,
    output: ItemsResultSchema,
    run: async (s, input) => ({ items: await s.getItems(input.ids, input.release) }),
  }),
  route({
    method: "GET",
    path: "/v1/items",
    operationId: "items.get.query",
    summary: "Fetch item records by id from the query string (ids=a,b,c); use POST /v1/items:get for ids with commas or long lists",
    access: "read",
    inputFrom: "query",
    input: ItemsGetInputSchema,
    queryParams: [
      { name: "ids", required: true, description: "comma-separated item ids" },
      { name: "release", required: false, description: "release id (default: the active one)" },
    ],
    output: ItemsResultSchema,
    run: async (s, input) => ({ items: await s.getItems(input.ids, input.release) }),
  }),
  route({
    method: "GET",
    path: "/v1/releases",
    operationId: "releases.list",
    summary: "List complete releases, newest first",
    access: "read",
    inputFrom: "none",
    output: ReleasesResultSchema,
    run: async (s) => ({ releases: await s.listReleases() }),
  }),
  route({
    method: "POST",
    path: "/v1/releases/:release/activate",
    operationId: "releases.activate",
    summary: "Make a release the active one (admin)",
    access: "admin",
    inputFrom: "path",
    input: ActivateInputSchema,
    queryParams: [EDGE_PARAM],
    output: ReleaseInfoSchema,
    run: (s, input) => s.activate(input.release, { edge: input.edge }),
  }),
  route({
    method: "POST",
    path: "/v1/releases/rollback",
    operationId: "releases.rollback",
    summary: "Re-activate the release that was active before the current one (admin)",
    access: "admin",
    inputFrom: "query",
    input: RollbackInputSchema,
    queryParams: [EDGE_PARAM],
    output: ReleaseInfoSchema,
    run: (s, input) => s.rollback({ edge: input.edge }),
  }),
];

/** Read a JSON body, with an error that says what is wrong when it is not JSON. */
export async function readJsonBody(c: HonoContext): Promise<unknown> {
  // Counted before the parse (as it is read, when large): what a document costs to parse grows with
  // its values, not its bytes.
  const text = await readCountedText(c.req);
  if (text.trim() === "") throw new ApiError("INVALID_JSON", 'request body is empty; send a JSON object, e.g. {"query":"red dress"}');
  try {
    return JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message.slice(0, 160) : "parse error";
    throw new ApiError("INVALID_JSON", `request body is not JSON (${why}); send a JSON object with Content-Type: application/json`);
  }
}

// Query-string values are strings; these parameters are whole numbers where their schema says so.
const NUMERIC_QUERY = new Set(["limit", "tail"]);

function readQuery(c: HonoContext, r: RestRoute): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of r.queryParams ?? []) {
    const v = c.req.query(p.name);
    if (v === undefined) continue;
    // ids=a,b,c is a list; empty entries from stray commas are dropped.
    out[p.name] = p.name === "ids" ? v.split(",").filter((s) => s !== "") : NUMERIC_QUERY.has(p.name) && /^\d{1,9}$/.test(v) ? Number(v) : v;
  }
  return out;
}

async function readInput(c: HonoContext, r: RestRoute): Promise<unknown> {
  let raw: unknown;
  if (r.inputFrom === "body") raw = await readJsonBody(c);
  else if (r.inputFrom === "query") raw = readQuery(c, r);
  else if (r.inputFrom === "path") raw = { ...readQuery(c, r), ...c.req.param() };
  if (!r.input) return undefined;
  assertInputDepth(raw);
  const parsed = r.input.safeParse(raw);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

/** The response cache as mountRest uses it. */
export interface MountCache {
  /** The cache (response-cache.ts). */
  cache: ResponseCache;
  /** The release a request without `release` is answered from now (RetrievalService.activeRelease). */
  activeRelease(): string | null;
  /** What else an answer's bytes depend on besides release and body: the image links' base URL. */
  scope(c: HonoContext<AppEnv>): string;
}

/** What mountRest needs besides the routes. */
export interface MountOptions {
  /** The retrieval service. */
  service: RetrievalService;
  /** The per-request context of a route's run. */
  context(c: HonoContext<AppEnv>): RouteContext;
  /** Serialized answers of routes with `cache` (absent or null: none kept). */
  responseCache?: MountCache | null;
}

const JSON_HEADERS = { "content-type": "application/json" } as const;
const elapsed = (t: number) => Math.round((performance.now() - t) * 1000) / 1000;

/** Register REST routes on an app; answers (each event of a stream too) leave through the request's `present` (absolute image links, no server paths). */
export function mountRest(app: Hono<AppEnv>, routes: readonly RestRoute[], opts: MountOptions): void {
  for (const r of routes) {
    app.on(r.method, r.path, async (c) => {
      c.set("route", r.path);
      // The gate (gate.ts) checked the key and its rate limit before the body; check the role
      // again here, still before reading input.
      const auth = r.access === "public" ? (null as never) : authorize(c.var.credential, r.access);
      const t0 = performance.now();
      // A cached answer is looked up by the body's text before it is parsed: the same bytes under
      // the same release and image base were valid and got this answer.
      const mc = r.cache ? (opts.responseCache ?? null) : null;
      let lookup: { release: string; scope: string; body: string } | null = null;
      if (mc) {
        const release = mc.activeRelease();
        if (release !== null) {
          mc.cache.follow(release);
          lookup = { release, scope: mc.scope(c), body: await c.req.text() };
          const hit = mc.cache.get(lookup.release, lookup.scope, lookup.body);
          if (hit) {
            c.var.charge(hit.cost);
            const ms = elapsed(t0);
            opts.context(c).search.replay(hit.call, ms);
            return c.body(joinAnswer(hit, { cache: ms, total: ms }), 200, { ...JSON_HEADERS, "x-vitrine-cache": "hit" });
          }
        }
      }
      const input = await readInput(c, r);
      const cost = r.cost ? r.cost(input as never) : 1;
      if (r.cost) c.var.charge(cost);
      const ctx = opts.context(c);
      const result = await r.run(opts.service, input as never, auth, ctx);
      if (r.stream === "sse") return sendEvents(c, result as AsyncIterable<{ type?: string }>, c.var.present, ctx.signal);
      const call = mc && lookup ? r.cache!(input as never, result as never) : null;
      // Kept only when the release that answered is the one looked up (a switch mid-request, or a
      // body pinning another release, would file it where no lookup goes).
      if (mc && lookup && call && call.release === lookup.release) {
        const parts = splitAnswer(c.var.present(result as object));
        mc.cache.set(lookup.release, lookup.scope, lookup.body, { ...parts, cost, call });
        return c.body(joinAnswer(parts, (result as { timings: Record<string, number> }).timings), 200, { ...JSON_HEADERS, "x-vitrine-cache": "miss" });
      }
      return c.json(c.var.present(result as object), r.status ?? 200);
    });
  }
}

/** Seconds between keep-alive comments on a quiet stream (proxies close idle connections). */
const SSE_PING_MS = 15_000;

// Each event as `event: <type>` with its JSON; a failure mid-stream as an `error` event carrying the
// API's error body; the stream ends when the source does or the client goes away.
function sendEvents(c: HonoContext<AppEnv>, events: AsyncIterable<{ type?: string }>, redact: Redactor, signal: AbortSignal): Response {
  return streamSSE(c, async (stream) => {
    const ping = setInterval(() => void stream.write(": ping\n\n").catch(() => undefined), SSE_PING_MS);
    let id = 0;
    try {
      for await (const e of events) {
        if (signal.aborted || stream.aborted) break;
        await stream.writeSSE({ event: e.type ?? "message", data: JSON.stringify(redact(e)), id: String(id++) });
      }
    } catch (err) {
      if (!signal.aborted) await stream.writeSSE({ event: "error", data: JSON.stringify({ error: redact(toApiError(err).body(c.var.requestId)) }) });
    } finally {
      clearInterval(ping);
    }
  });
}
