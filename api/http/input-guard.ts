// Structural limits checked before schema validation: validators and filter compilers recurse,
// so a body nested thousands of levels deep (a few KB of JSON) would overflow the stack and
// surface as a 500. Checked iteratively here, it is a 400 that says what to change.
import { ApiError } from "./errors.ts";

/** Deepest nesting of arrays/objects accepted in any input (filters need far less). */
export const MAX_INPUT_DEPTH = 64;

/** Throw INVALID_INPUT when `value` nests deeper than `maxDepth` levels. */
export function assertInputDepth(value: unknown, maxDepth = MAX_INPUT_DEPTH): void {
  if (typeof value !== "object" || value === null) return;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > maxDepth) {
      throw new ApiError("INVALID_INPUT", `input nests deeper than ${maxDepth} levels; flatten it (filters combine with and/or lists, not deep chains)`);
    }
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const c of children) if (typeof c === "object" && c !== null) stack.push([c, depth + 1]);
  }
}

/**
 * Most JSON values one call's input may hold, counted before it is parsed. Parsing costs per value
 * (a 600 KB body of 64,000 short strings takes ~12 ms to parse here, more than any answer), and no
 * valid input comes near: a retrieve's filter holds at most 1,000 values in 128 nodes, items.get at
 * most 1,000 ids. A tRPC batch may hold this many per call.
 */
export const MAX_JSON_VALUES = 8_192;

/**
 * Throw INVALID_INPUT when `text` holds more than `max` JSON values, without parsing it: counts the
 * commas, brackets and braces outside strings (strings are skipped natively) and stops at the first
 * one too many, so an oversized document is refused after a few dozen KB of scanning.
 */
export function assertJsonValueCount(text: string, max = MAX_JSON_VALUES): void {
  new JsonValueCounter(max).push(text);
}

const tooManyValues = (max: number) =>
  new ApiError("INVALID_INPUT", `input holds more than ${max} JSON values; no valid input needs that many (a filter takes at most 1000 values, items.get 1000 ids): send less`);

/**
 * assertJsonValueCount over a document that arrives in pieces (a body as it is read): push each
 * piece in order; the count and whether it is inside a string carry over from one to the next.
 */
export class JsonValueCounter {
  private n = 0;
  private inString = false;
  /** The last piece ended inside a string on a backslash that escapes the next character. */
  private escaping = false;
  constructor(private readonly max = MAX_JSON_VALUES) {}

  /** Count the next piece; throws INVALID_INPUT at the first value past `max`. */
  push(text: string): void {
    const len = text.length;
    let i = 0;
    // Where the next quote and backslash are (len: none left); each searched again only once passed,
    // so a string of many backslashes is still one pass.
    let quote = -1;
    let slash = -1;
    if (this.escaping && len > 0) {
      this.escaping = false;
      i = 1;
    }
    while (i < len) {
      if (this.inString) {
        // Skip to the closing quote: the next quote that no backslash escapes.
        if (quote < i) {
          quote = text.indexOf('"', i);
          if (quote < 0) quote = len;
        }
        if (slash < i) {
          slash = text.indexOf("\\", i);
          if (slash < 0) slash = len;
        }
        if (slash < quote) {
          // A backslash first: skip it and what it escapes (possibly the next piece's first character).
          if (slash + 1 >= len) this.escaping = true;
          i = slash + 2;
          continue;
        }
        if (quote === len) return;
        this.inString = false;
        i = quote + 1;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 34 /* " */) this.inString = true;
      else if ((c === 44 /* , */ || c === 91 /* [ */ || c === 123) /* { */ && ++this.n > this.max) throw tooManyValues(this.max);
      i++;
    }
  }
}

/** A request's body as text (Hono's HonoRequest has these). */
interface BodySource {
  /** The request: its headers and body stream. */
  raw: Request;
  /** The whole body as text (read once, cached). */
  text(): Promise<string>;
  /** Hono's cache of the body read, which later readers (tRPC's adapter) use. */
  bodyCache: { text?: string };
}

/** Bodies up to this many bytes are read whole, then counted (reading them in pieces costs more than it spares). */
const STREAM_COUNT_FROM = 64 * 1024;

/**
 * The body as text, refused (INVALID_INPUT) once it holds more than `max` JSON values. A large
 * body (declared over 64 KiB, or chunked) is counted as it arrives and no longer read past the
 * value that is one too many: a 600 KB filter of 64,000 values is refused after about 70 KB.
 */
export async function readCountedText(req: BodySource, max = MAX_JSON_VALUES): Promise<string> {
  const declared = req.raw.headers.get("content-length");
  const body = req.raw.body;
  if (body === null || (declared !== null && Number(declared) <= STREAM_COUNT_FROM)) {
    const text = await req.text();
    assertJsonValueCount(text, max);
    return text;
  }
  const counter = new JsonValueCounter(max);
  const decoder = new TextDecoder();
  const parts: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const piece = done ? decoder.decode() : decoder.decode(value, { stream: true });
      counter.push(piece);
      parts.push(piece);
      if (done) break;
    }
  } catch (e) {
    // Stop reading: what is left is never read (serveNode closes the connection after the refusal).
    reader.cancel().catch(() => undefined);
    throw e;
  }
  const text = parts.join("");
  // Hono keeps the read's promise there, though its type names the value.
  req.bodyCache.text = Promise.resolve(text) as unknown as string;
  return text;
}
