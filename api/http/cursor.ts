// Pagination cursors: opaque strings that carry the next page's offset, bound to the release that
// served the page and to the request's query, filters and understanding/relaxation switches, so a
// cursor sent with another query (or pinned to another release) is refused rather than silently
// paging a different ranking. Not a secret: a cursor only says what offset the caller could send
// itself; the binding catches mistakes, not forgery. Runtime-agnostic (btoa/atob, murmur3).
import { murmur3, type RetrieveRequest } from "../../core/index.ts";
import { ApiError } from "./errors.ts";

/** What a cursor carries. */
export interface CursorState {
  /** The release whose ranking the cursor walks. */
  release: string;
  /** The next page's offset. */
  offset: number;
  /** Hash of the request's ranking inputs (query, filters, understand, relax). */
  binding: string;
}

const PREFIX = "v1.";

/** The ranking a request asks for, as a hash: query, filters (as validated), understand, relax — not k, offset or facets. */
export function cursorBinding(req: Pick<RetrieveRequest, "query" | "filters" | "understand" | "relax">): string {
  const text = JSON.stringify([req.query, req.filters ?? null, req.understand, req.relax]);
  // 64 bits from two seeds: collisions between one caller's own queries are out of reach.
  return [murmur3(text, 0), murmur3(text, 0x9e3779b9)].map((h) => h.toString(16).padStart(8, "0")).join("");
}

/** Encode a cursor (URL-safe base64 of a small JSON array). */
export function encodeCursor(c: CursorState): string {
  const b64 = btoa(JSON.stringify([c.release, c.offset, c.binding]));
  return PREFIX + b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const invalid = (message: string) => new ApiError("INVALID_INPUT", `cursor: ${message}`, { issues: [{ field: "cursor", message }] });

/** Decode a cursor; a string no server wrote is INVALID_INPUT naming the field. */
export function decodeCursor(s: string): CursorState {
  const bad = () => invalid("not a cursor this API wrote; send a previous answer's nextCursor unchanged, or leave cursor out for the first page");
  if (!s.startsWith(PREFIX)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(s.slice(PREFIX.length).replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw bad();
  const [release, offset, binding] = parsed as unknown[];
  if (typeof release !== "string" || !/^r\d{3,}$/.test(release) || typeof binding !== "string" || !/^[0-9a-f]{16}$/.test(binding)) throw bad();
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0) throw bad();
  return { release, offset, binding };
}

/**
 * The request a cursor continues: its offset, and its release pinned (so later pages come from the
 * same ranking even when another release becomes active meanwhile). Refused with INVALID_INPUT
 * when the cursor was issued for another query, filters or release, or comes with an offset.
 */
export function resolveCursor(req: RetrieveRequest): RetrieveRequest {
  if (req.cursor === undefined) return req;
  if (req.offset !== undefined) {
    throw new ApiError("INVALID_INPUT", "send offset or cursor, not both (the cursor holds the next page's offset)", { issues: [{ field: "offset", message: "not with cursor" }] });
  }
  const c = decodeCursor(req.cursor);
  if (c.binding !== cursorBinding(req)) {
    throw invalid(
      "this cursor belongs to another ranking: send it with the query, filters, understand and relax of the request that returned it (k may change), or start again from the first page without a cursor",
    );
  }
  if (req.release !== undefined && req.release !== c.release) {
    throw invalid(`this cursor walks release ${c.release}, the request asks for ${req.release}; leave release out (the cursor pins its own) or start again from the first page`);
  }
  const { cursor: _, ...rest } = req;
  return { ...rest, offset: c.offset, release: c.release };
}
