// Which requests the edge may answer itself: retrieve calls, over REST (POST /v1/retrieve) or tRPC
// (GET or POST /trpc/retrieve, batched or not, every call a retrieve). Reads their raw inputs;
// validation stays with the app's schemas.
import { assertJsonValueCount, MAX_JSON_VALUES } from "../http/index.ts";

/** How a retrieve request arrived. */
export type RetrieveRoute = "rest" | "trpc" | "trpc-batch";

/** The retrieve route of a request, or null when the request is something else (forwarded). */
export function retrieveRoute(method: string, url: URL): RetrieveRoute | null {
  if (url.pathname === "/v1/retrieve") return method === "POST" ? "rest" : null;
  if (!url.pathname.startsWith("/trpc/") || (method !== "GET" && method !== "POST")) return null;
  const procs = url.pathname.slice("/trpc/".length).split(",");
  if (!procs.every((p) => p === "retrieve")) return null;
  if (url.searchParams.get("batch") === "1") return "trpc-batch";
  return procs.length === 1 ? "trpc" : null;
}

function json(text: string | null, calls: number): { ok: true; value: unknown } | { ok: false } {
  if (text === null || text.trim() === "") return { ok: true, value: undefined };
  try {
    // Counted before the parse, as the app does; too many values: the app answers its 400.
    assertJsonValueCount(text, MAX_JSON_VALUES * calls);
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * The raw input of each call, in order; null when the inputs cannot be read (not JSON, wrong batch
 * shape): the app then answers with its own error, exactly as the origin would.
 */
export function retrieveInputs(route: RetrieveRoute, method: string, url: URL, body: string | null): unknown[] | null {
  const text = route !== "rest" && method === "GET" ? url.searchParams.get("input") : body;
  const n = url.pathname.slice("/trpc/".length).split(",").length;
  const parsed = json(text, route === "trpc-batch" ? n : 1);
  if (!parsed.ok) return null;
  if (route !== "trpc-batch") return [parsed.value];
  const byIndex = parsed.value;
  if (byIndex !== undefined && (typeof byIndex !== "object" || byIndex === null || Array.isArray(byIndex))) return null;
  return Array.from({ length: n }, (_, i) => (byIndex as Record<string, unknown> | undefined)?.[String(i)]);
}
