import { describe, expect, it } from "vitest";
import { kvBatches, type KvBatch } from "../lancedb/index.ts";

async function collect(it: AsyncIterable<KvBatch>): Promise<KvBatch[]> {
  const out: KvBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

// The bulk endpoint takes ≤ 10,000 pairs and ≤ 100 MB per request; batching must respect both,
// keep every entry once and in order, and refuse what KV cannot store at all.
describe("kvBatches", () => {
  const entries = Array.from({ length: 25 }, (_, i) => ({ key: `r001/q/${i}`, value: JSON.stringify({ n: i, pad: "é".repeat(i * 10) }) }));

  it("splits by key count and by request bytes, in order, with exact body sizes", async () => {
    const byKeys = await collect(kvBatches(entries, { maxKeys: 10 }));
    expect(byKeys.map((b) => b.keys.length)).toEqual([10, 10, 5]);
    const byBytes = await collect(kvBatches(entries, { maxBytes: 2_000 }));
    expect(byBytes.length).toBeGreaterThan(1);
    for (const b of byBytes) {
      const body = `[${b.parts.join(",")}]`;
      expect(Buffer.byteLength(body)).toBe(b.bytes);
      expect(b.bytes).toBeLessThanOrEqual(2_000);
      expect(JSON.parse(body).map((p: { key: string }) => p.key)).toEqual(b.keys);
    }
    expect(byBytes.flatMap((b) => b.keys)).toEqual(entries.map((e) => e.key));
  });

  it("refuses keys and values over KV's limits", async () => {
    await expect(collect(kvBatches([{ key: "k".repeat(513), value: "1" }]))).rejects.toMatchObject({ code: "KV_LIMIT" });
    await expect(collect(kvBatches([{ key: "a", value: "x".repeat(101) }], { maxValueBytes: 100 }))).rejects.toMatchObject({ code: "KV_LIMIT" });
  });
});
