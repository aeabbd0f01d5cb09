// REST JSON under /v1: the same operations as the tRPC router, described once in a route table
// that drives both the Hono handlers and the OpenAPI document (so the two cannot drift).
import type { Context as HonoContext, Hono } from "hono";
import type { z } from "zod";
import { RetrieveRequestSchema } from "../../core/index.ts";
import { authorize, type Auth } from "./auth.ts";
import { ApiError, fromZodError } from "./errors.ts";
import { assertInputDepth, assertJsonValueCount } from "./input-guard.ts";
import { retrieveCost } from "./request-cost.ts";
import { ActivateInputSchema, ItemsGetInputSchema, ItemsResultSchema, LookupInputSchema, LookupResultSchema, ReleaseInfoSchema, ReleasesResultSchema, RetrieveResultSchema } from "./schemas.ts";
import type { AppEnv } from "./app-env.ts";
import type { Redactor } from "./redact.ts";
import type { RetrievalService } from "../service/types.ts";

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
  /** Schema of the 200 response, for the document. */
  output: z.ZodType;
  /** Tokens a valid input costs the key's rate limit (request-cost.ts; absent: 1, taken by the gate). */
  cost?: (input: never) => number;
  /** Run the operation. */
  run(service: RetrievalService, input: never, auth: Auth): Promise<unknown>;
}

const route = <S extends z.ZodType | undefined>(
  r: Omit<RestRoute, "run" | "input" | "cost"> & {
    input?: S;
    run(service: RetrievalService, input: S extends z.ZodType ? z.output<S> : undefined, auth: Auth): Promise<unknown>;
    cost?: (input: S extends z.ZodType ? z.output<S> : undefined) => number;
  },
): RestRoute => r as unknown as RestRoute;

/** Every /v1 operation, in document order. */
export const REST_ROUTES: readonly RestRoute[] = [
  route({
    method: "POST",
    path: "/v1/retrieve",
    operationId: "retrieve",
    summary: "Retrieve items for a query, with optional filters (brand/category/price/attributes)",
    access: "read",
    inputFrom: "body",
    input: RetrieveRequestSchema,
    output: RetrieveResultSchema,
    cost: retrieveCost,
    run: (s, input) => s.retrieve(input),
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
    output: ReleaseInfoSchema,
    run: (s, input) => s.activate(input.release),
  }),
  route({
    method: "POST",
    path: "/v1/releases/rollback",
    operationId: "releases.rollback",
    summary: "Re-activate the release that was active before the current one (admin)",
    access: "admin",
    inputFrom: "none",
    output: ReleaseInfoSchema,
    run: (s) => s.rollback(),
  }),
];

/** Read a JSON body, with an error that says what is wrong when it is not JSON. */
export async function readJsonBody(c: HonoContext): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") throw new ApiError("INVALID_JSON", 'request body is empty; send a JSON object, e.g. {"query":"red dress"}');
  // Before the parse: what a document costs to parse grows with its values, not its bytes.
  assertJsonValueCount(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message.slice(0, 160) : "parse error";
    throw new ApiError("INVALID_JSON", `request body is not JSON (${why}); send a JSON object with Content-Type: application/json`);
  }
}

function readQuery(c: HonoContext, r: RestRoute): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of r.queryParams ?? []) {
    const v = c.req.query(p.name);
    if (v === undefined) continue;
    // ids=a,b,c is a list; empty entries from stray commas are dropped.
    out[p.name] = p.name === "ids" ? v.split(",").filter((s) => s !== "") : v;
  }
  return out;
}

async function readInput(c: HonoContext, r: RestRoute): Promise<unknown> {
  let raw: unknown;
  if (r.inputFrom === "body") raw = await readJsonBody(c);
  else if (r.inputFrom === "query") raw = readQuery(c, r);
  else if (r.inputFrom === "path") raw = c.req.param();
  if (!r.input) return undefined;
  assertInputDepth(raw);
  const parsed = r.input.safeParse(raw);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

/** Register the REST routes on an app; answers leave through `redact` (no server paths). */
export function mountRest(app: Hono<AppEnv>, service: RetrievalService, redact: Redactor): void {
  for (const r of REST_ROUTES) {
    app.on(r.method, r.path, async (c) => {
      c.set("route", r.path);
      // The gate (gate.ts) checked the key and its rate limit before the body; check the role
      // again here, still before reading input.
      const auth = r.access === "public" ? (null as never) : authorize(c.var.credential, r.access);
      const input = await readInput(c, r);
      if (r.cost) c.var.charge(r.cost(input as never));
      return c.json(redact((await r.run(service, input as never, auth)) as object), 200);
    });
  }
}
