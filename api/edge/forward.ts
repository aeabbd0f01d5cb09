// Forwarding to the origin (the Node API): same method, path, query, body and headers — the
// caller's API key included, so the origin authorises and rate-limits the caller as if it had
// called directly. Hop-by-hop headers are dropped; the response streams back unchanged.
import { ApiError, JSONRPC_CODE, trpcCodeFor } from "../http/index.ts";

// Headers that describe one connection, not the request (RFC 9110 §7.6.1), plus Host, which fetch
// sets from the origin's URL.
const HOP_BY_HOP = ["host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"];

/** Options of forwardToOrigin. */
export interface ForwardOptions {
  /** Origin base URL, e.g. https://api.example.com (a path prefix is kept). */
  originUrl: string;
  /** fetch to reach the origin with. */
  fetch: typeof fetch;
  /** Request id to send (the origin echoes it), so edge and origin logs line up. */
  requestId: string;
}

/** The origin URL for a request URL: the origin's base + the request's path and query. */
export function originTarget(originUrl: string, url: URL): string {
  return `${originUrl.replace(/\/+$/, "")}${url.pathname}${url.search}`;
}

/** Send a request on to the origin; `body` replaces the request's body when the edge already read it. */
export async function forwardToOrigin(request: Request, body: ArrayBuffer | null, opts: ForwardOptions): Promise<Response> {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  headers.set("x-request-id", opts.requestId);
  headers.set("x-forwarded-host", url.host);
  headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
  // Labels the origin's search metrics and query log (via="edge"); no authority comes with it.
  headers.set("x-vitrine-via", "edge");
  const client = request.headers.get("cf-connecting-ip");
  if (client) headers.set("x-forwarded-for", client);
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const init: RequestInit = { method: request.method, headers, redirect: "manual" };
  if (hasBody) init.body = body ?? request.body;
  const send = opts.fetch;
  const res = await send(originTarget(opts.originUrl, url), init);
  const out = new Response(res.body, res);
  out.headers.set("x-vitrine-edge", "forward");
  return out;
}

/** An error answered by the edge itself, in the app's shapes: REST's body or tRPC's envelope. */
export function edgeErrorResponse(path: string, err: ApiError, requestId: string): Response {
  const body = err.body(requestId);
  const retryAfter = err.extra.retryAfter;
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId, "cache-control": "no-store", "x-vitrine-edge": "error" };
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  if (path === "/trpc" || path.startsWith("/trpc/")) {
    const code = trpcCodeFor(err.status);
    const data = { ...body, httpStatus: err.status, ...(retryAfter !== undefined ? { retryAfter } : {}) };
    return new Response(JSON.stringify({ error: { message: err.message, code: JSONRPC_CODE[code] ?? -32603, data } }), { status: err.status, headers });
  }
  return new Response(JSON.stringify({ error: body }), { status: err.status, headers });
}
