// The JSON value count over a body read in pieces (input-guard.ts): whatever the split, it counts
// what the whole text holds, and a large body is refused before the rest of it is read.
import { describe, expect, it } from "vitest";
import { JsonValueCounter, readCountedText } from "./input-guard.ts";

/** The reference: commas, brackets and braces outside strings, one character at a time. */
function reference(text: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "," || c === "[" || c === "{") n++;
  }
  return n;
}

/** Whether pushing `pieces` in order stays within `max`. */
function fits(pieces: string[], max: number): boolean {
  const counter = new JsonValueCounter(max);
  try {
    for (const p of pieces) counter.push(p);
    return true;
  } catch (e) {
    expect((e as Error).message).toMatch(new RegExp(`more than ${max} JSON values`));
    return false;
  }
}

// A small deterministic PRNG, so a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const DOCS = [
  '{"a":[1,2,{"b":"c"}]}',
  '{"q":"a,b,c,[{,,,"}',
  '{"q":"say \\"a,b\\", then \\\\"}',
  '{"q":"x\\\\",  "r":[1,2]}',
  '{"q":"\\\\\\\\\\\\\\"[,{", "r":["\\\\", "\\"", ","]}',
  '"unterminated, , ,',
  `[${Array.from({ length: 300 }, (_, i) => `"b\\\\${i}\\"x"`).join(",")}]`,
  JSON.stringify({ query: "red, dress", filters: { op: "in", field: "brand", values: Array.from({ length: 50 }, (_, i) => `"b${i}",\\[`) } }),
];

describe("JsonValueCounter", () => {
  it("counts what the whole text holds, wherever the pieces are cut (escapes and quotes split across pieces too)", () => {
    const next = rng(13);
    for (const doc of DOCS) {
      const n = reference(doc);
      for (let trial = 0; trial < 200; trial++) {
        // Cut into 1–8 pieces at random places; every cut position is tried for short docs.
        const cuts = new Set<number>();
        const k = 1 + Math.floor(next() * 8);
        for (let c = 0; c < k; c++) cuts.add(Math.floor(next() * (doc.length + 1)));
        if (trial < doc.length && doc.length < 80) cuts.add(trial);
        const at = [0, ...[...cuts].sort((x, y) => x - y), doc.length];
        const pieces = at.slice(1).map((end, i) => doc.slice(at[i], end));
        expect(fits(pieces, n), `${doc} cut at ${at.join(",")}`).toBe(true);
        if (n > 0) expect(fits(pieces, n - 1), `${doc} cut at ${at.join(",")}`).toBe(false);
      }
    }
  });

  it("refuses at the first value past the budget, before the pieces after it", () => {
    const counter = new JsonValueCounter(10);
    counter.push('{"v":[1,2,3,4,5,6');
    expect(() => counter.push(",7,8,9,10,11")).toThrow(/more than 10 JSON values/);
  });
});

describe("readCountedText", () => {
  /** A request whose body arrives as `chunks`, recording how many were pulled. */
  function request(chunks: Uint8Array[], declared: boolean) {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled < chunks.length) c.enqueue(chunks[pulled++]!);
        else c.close();
      },
    });
    const total = chunks.reduce((x, p) => x + p.length, 0);
    const raw = new Request("http://x/v1/retrieve", { method: "POST", body, headers: declared ? { "content-length": String(total) } : {}, duplex: "half" } as RequestInit);
    const bodyCache: { text?: string } = {};
    return { req: { raw, bodyCache, text: () => raw.text() }, pulled: () => pulled, bodyCache };
  }
  const enc = (s: string) => new TextEncoder().encode(s);

  it("a large body over the budget is refused without reading the rest of it (declared and chunked)", async () => {
    // 20 chunks of 32 KB, each ~16,000 values: the budget (8,192) is passed in the first.
    const chunk = enc("1,".repeat(16 * 1024));
    for (const declared of [true, false]) {
      const r = request([enc("["), ...Array<Uint8Array>(20).fill(chunk), enc("1]")], declared);
      await expect(readCountedText(r.req)).rejects.toThrow(/more than 8192 JSON values/);
      expect(r.pulled()).toBeLessThan(4);
    }
  });

  it("a large body within the budget is read whole, multi-byte characters cut across chunks, and cached for later readers (tRPC's adapter)", async () => {
    const doc = JSON.stringify({ query: "红色连衣裙", values: Array.from({ length: 5_000 }, (_, i) => `品牌${"x".repeat(40)}${i}`) });
    const bytes = enc(doc);
    expect(bytes.length).toBeGreaterThan(200_000);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7_777) chunks.push(bytes.subarray(i, i + 7_777));
    for (const declared of [true, false]) {
      const r = request(chunks, declared);
      expect(await readCountedText(r.req)).toBe(doc);
      expect(r.pulled()).toBe(chunks.length);
      expect(await (r.bodyCache.text as unknown as Promise<string>)).toBe(doc);
    }
  });
});
