// The OpenAPI 3.1 document of the REST API, generated from the REST route table and the zod
// schemas it validates with. zod's own JSON Schema output is used (OpenAPI 3.1 schemas are JSON
// Schema 2020-12) because the filter schema is recursive, which @hono/zod-openapi's generator
// cannot walk (it overflows the stack).
import { z } from "zod";
import { FilterExprSchema } from "../../core/index.ts";
import { ERROR_STATUS } from "./errors.ts";
import { ErrorResponseSchema, HealthSchema } from "./schemas.ts";
import type { RestRoute } from "./rest.ts";

/** Options of the document. */
export interface OpenApiOptions {
  /** API version shown in `info.version`. */
  version: string;
  /** Whether /metrics needs a key (documents the security of that path). */
  metricsNeedKey: boolean;
  /** Result window of retrieve (offset + k), for the document (default 1000). */
  maxWindow?: number;
  /** Servers the API is reached at (default: "/", the origin that served the document). */
  servers?: { url: string; description: string }[];
}

/** Example values of path parameters, for the document. */
const PARAM_EXAMPLES: Record<string, string> = { release: "r002", id: "j20261122-071500-ab12" };

type Json = Record<string, unknown>;

const opPath = (p: string) => p.replace(/\/:([A-Za-z0-9_]+)/g, "/{$1}");
const schemaName = (operationId: string, suffix: string) =>
  operationId
    .split(/[.]/)
    .map((s) => s[0]!.toUpperCase() + s.slice(1))
    .join("") + suffix;

function errorResponses(access: RestRoute["access"], hasInput: boolean): Json {
  const ref = { $ref: "#/components/schemas/ErrorResponse" };
  const res = (description: string) => ({ description, content: { "application/json": { schema: ref } } });
  const out: Json = {};
  if (hasInput) out["400"] = res("invalid input (INVALID_INPUT, INVALID_FILTER, INVALID_JSON, BAD_REQUEST); `issues` names the fields");
  if (hasInput) out["404"] = res("the release, item or job named does not exist (RELEASE_NOT_FOUND, ITEM_NOT_FOUND, JOB_NOT_FOUND)");
  if (access !== "public") {
    out["401"] = res("no API key, or an unknown one (UNAUTHORIZED)");
    if (access === "admin") out["403"] = res("the key is a read key; this needs an admin key (FORBIDDEN)");
    out["429"] = {
      ...res("rate limit exceeded for this key (RATE_LIMITED)"),
      headers: { "Retry-After": { description: "seconds to wait", schema: { type: "integer" } } },
    };
  }
  out["500"] = res("internal error (INTERNAL); quote the requestId");
  out["503"] = res("no active release or the store is unavailable (NO_RELEASE, UNAVAILABLE)");
  return out;
}

/** Build the OpenAPI 3.1 document for the given REST routes. */
export function buildOpenApiDocument(routes: readonly RestRoute[], opts: OpenApiOptions): Json {
  const inputs = z.registry<{ id: string }>();
  const outputs = z.registry<{ id: string }>();
  inputs.add(FilterExprSchema, { id: "FilterExpr" });
  outputs.add(FilterExprSchema, { id: "FilterExpr" });
  outputs.add(ErrorResponseSchema, { id: "ErrorResponse" });
  outputs.add(HealthSchema, { id: "Health" });
  for (const r of routes) {
    if (r.input && r.inputFrom === "body") inputs.add(r.input, { id: schemaName(r.operationId, "Request") });
    if (!outputs.has(r.output)) outputs.add(r.output, { id: schemaName(r.operationId, "Response") });
  }
  const gen = (reg: typeof inputs, io: "input" | "output") =>
    z.toJSONSchema(reg, { io, target: "draft-2020-12", unrepresentable: "any", cycles: "ref", uri: (id) => `#/components/schemas/${id}` }).schemas;
  const schemas: Record<string, Json> = { ...gen(outputs, "output"), ...gen(inputs, "input") };
  // Drop the per-schema $schema/$id zod writes: in OpenAPI they are components, not documents.
  for (const s of Object.values(schemas)) {
    delete s.$schema;
    delete s.$id;
  }

  const security = (access: RestRoute["access"]) => (access === "public" ? [] : [{ bearerAuth: [] }, { apiKeyHeader: [] }]);
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const schema = { $ref: `#/components/schemas/${outputs.get(r.output)!.id}` };
    const success =
      r.stream === "sse"
        ? {
            description: "server-sent events: `event: <type>`, `data: <JSON of the schema>`, until the stream ends",
            content: { "text/event-stream": { schema: { type: "string" }, "x-event-schema": schema } },
          }
        : { description: r.status === 202 ? "accepted" : "success", content: { "application/json": { schema } } };
    const op: Json = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag ?? (r.access === "admin" ? "admin" : "retrieval")],
      security: security(r.access),
      "x-access": r.access,
      responses: {
        [String(r.status ?? 200)]: success,
        ...errorResponses(r.access, r.input !== undefined),
      },
    };
    const parameters: Json[] = [];
    for (const m of r.path.matchAll(/\/:([A-Za-z0-9_]+)/g)) {
      parameters.push({ name: m[1], in: "path", required: true, schema: { type: "string" }, ...(PARAM_EXAMPLES[m[1]!] ? { example: PARAM_EXAMPLES[m[1]!] } : {}) });
    }
    for (const q of r.queryParams ?? []) parameters.push({ name: q.name, in: "query", required: q.required, description: q.description, schema: { type: "string" } });
    if (parameters.length > 0) op.parameters = parameters;
    if (r.inputFrom === "body" && r.input) {
      op.requestBody = {
        required: true,
        content: {
          "application/json": { schema: { $ref: `#/components/schemas/${schemaName(r.operationId, "Request")}` }, ...(r.example !== undefined ? { example: r.example } : {}) },
        },
      };
    }
    (paths[opPath(r.path)] ??= {})[r.method.toLowerCase()] = op;
  }

  paths["/v1/openapi.json"] = { get: { operationId: "openapi", summary: "This document", security: [], responses: { "200": { description: "OpenAPI 3.1 document" } } } };
  paths["/healthz"] = {
    get: {
      operationId: "health",
      summary: "Liveness and the active release (200 when serving, 503 when not)",
      security: [],
      responses: {
        "200": { description: "serving", content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } } },
        "503": { description: "not serving (no active release, store down)", content: { "application/json": { schema: { $ref: "#/components/schemas/Health" } } } },
      },
    },
  };
  paths["/metrics"] = {
    get: {
      operationId: "metrics",
      summary: "Prometheus metrics (text exposition format)",
      security: opts.metricsNeedKey ? security("read") : [],
      responses: { "200": { description: "metrics", content: { "text/plain": { schema: { type: "string" } } } }, ...(opts.metricsNeedKey ? { "401": { description: "no or unknown key" } } : {}) },
    },
  };

  return {
    openapi: "3.1.0",
    info: {
      title: "Vitrine retrieval API",
      version: opts.version,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
      description: `Multimodal product retrieval. Send an API key as 'Authorization: Bearer <key>' or 'x-api-key'. Pagination: retrieve answers items [offset, offset + k) of one ranking, and nextCursor (send it back as cursor; bound to the query, filters and release) while offset + k stays within the result window of ${opts.maxWindow ?? 1000} items. Facets (brand, category, price buckets) count the ranking's first 200 items. Every error body is { error: { code, message, issues?, requestId } }; codes and statuses: ${Object.entries(
        ERROR_STATUS,
      )
        .map(([c, s]) => `${c} ${s}`)
        .join(", ")}.`,
    },
    servers: opts.servers ?? [{ url: "/", description: "the server that served this document" }],
    tags: [
      { name: "retrieval", description: "retrieve, similar, lookup, items, releases (read key)" },
      { name: "admin", description: "release changes (admin key)" },
      { name: "jobs", description: "retrain and its stages: list and watch with a read key, trigger, cancel and resume with an admin key" },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "an API key (read or admin)" },
        apiKeyHeader: { type: "apiKey", in: "header", name: "x-api-key" },
      },
    },
  };
}
