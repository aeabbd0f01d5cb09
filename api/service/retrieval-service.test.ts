import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder, filterToPredicate, queryId, RetrieveRequestSchema, type RetrieveRequestInput } from "../../core/index.ts";
import { importData } from "../../ingest/index.ts";
import { activateRelease, publishRelease } from "../../lancedb/index.ts";
import { createRetrievalService } from "./retrieval-service.ts";
import type { RetrievalService } from "./types.ts";

// A real data directory: import → publish (hash encoder) → the service on LanceDB.
const BRANDS = ["Acme", "North Peak", "Zed", "山田"];
const TYPES = [
  { word: "Dress", category: "Women>Dresses" },
  { word: "Sneakers", category: "Shoes>Sneakers" },
  { word: "Bag", category: "Accessories>Bags" },
];
const COLOURS = ["red", "blue", "green", "black"];

let dir: string;
let service: RetrievalService;
const req = (r: RetrieveRequestInput) => RetrieveRequestSchema.parse(r);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-service-"));
  const items: object[] = [];
  let i = 0;
  for (const brand of BRANDS)
    for (const t of TYPES)
      for (const c of COLOURS)
        for (let v = 0; v < 5; v++) {
          items.push({
            id: `it${i++}`,
            title: `${brand} ${v % 2 ? c : ""} ${t.word} style ${v}`,
            brand,
            category: t.category,
            price: 10 + (i % 50),
            attributes: { material: v % 2 ? "cotton" : "wool" },
          });
        }
  await writeFile(join(dir, "catalog.jsonl"), items.map((x) => JSON.stringify(x)).join("\n"));
  const clicks = [];
  for (let k = 0; k < 200; k++) clicks.push({ query: `${COLOURS[k % 4]} ${TYPES[k % 3]!.word.toLowerCase()}`, item_id: `it${k % items.length}` });
  await writeFile(join(dir, "clicks.jsonl"), clicks.map((x) => JSON.stringify(x)).join("\n"));
  const data = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), out: data, images: false, evalFraction: 0 });
  // Vectors alone decide the order (weight 1), so a miss can be checked against brute force.
  await publishRelease({ dataDir: data, encoder: createHashEncoder(), topK: 50, blend: { method: "convex", weight: 1 } });
  service = await createRetrievalService({ dataDir: data, pollMs: 50 });
});
afterAll(async () => {
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("retrieval service on LanceDB", () => {
  it("answers a logged query from its precomputed qid list", async () => {
    const r = await service.retrieve(req({ query: "red dress", k: 10, understand: false }));
    expect(r.path).toBe("qid");
    expect(r.release).toBe("r001");
    expect(r.items).toHaveLength(10);
    expect(r.items.every((x) => x.source === "qid")).toBe(true);
    expect(r.qid).toBe(queryId("dress red").qid);
    const scores = r.items.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect((await service.lookup("dress red")).hit).toBe(true);
    expect((await service.lookup("purple hat")).hit).toBe(false);
  });

  it("tops up a filtered qid list with vector search, never duplicating and never breaking the filter", async () => {
    const filters = { op: "eq" as const, field: "attributes.material" as const, value: "wool" };
    const r = await service.retrieve(req({ query: "red dress", k: 40, filters, understand: false }));
    expect(r.path).toBe("qid+ann");
    expect(new Set(r.items.map((x) => x.id)).size).toBe(r.items.length);
    const recs = await service.getItems(r.items.map((x) => x.id));
    expect(recs.every((x) => x.attributes.material === "wool")).toBe(true);
    expect(r.items.some((x) => x.source === "qid") && r.items.some((x) => x.source === "ann")).toBe(true);
  });

  it("searches exactly on a qid miss: the same top-k as brute force over the matching items", async () => {
    const r = await service.retrieve(req({ query: "green bag style", k: 15, filters: { price: { gte: 20, lt: 45 } }, understand: false }));
    expect(r.path).toBe("ann");
    const all = await service.getItems(Array.from({ length: 240 }, (_, i) => `it${i}`));
    const pred = filterToPredicate(r.constraints.applied!);
    const enc = createHashEncoder();
    const [q] = enc.encode([r.terms]);
    const [iv] = [enc.encode(all.map((x) => `${x.title} ${x.brand ?? ""} ${x.category ?? ""}`))];
    const expected = all
      .map((x, i) => ({ id: x.id, ok: pred(x), s: iv![i]!.reduce((s, v, d) => s + v * q![d]!, 0) }))
      .filter((x) => x.ok)
      .sort((a, b) => b.s - a.s)
      .slice(0, 15)
      .map((x) => x.id);
    expect(r.items.map((x) => x.id)).toEqual(expected);
  });

  it("turns brand and type words into hard constraints (relevance control)", async () => {
    for (const brand of BRANDS)
      for (const t of TYPES) {
        const r = await service.retrieve(req({ query: `${brand} ${t.word.toLowerCase()}`, k: 50, relax: false }));
        expect(r.constraints.fromQuery.map((c) => c.field).sort()).toEqual(["brand", "category"]);
        expect(r.items.length).toBe(20);
        for (const x of r.items) {
          expect(x.brand).toBe(brand);
          expect(x.category).toBe(t.category);
        }
        // With relaxation (the default): the same 20 first, then the category, then the brand dropped.
        const relaxed = await service.retrieve(req({ query: `${brand} ${t.word.toLowerCase()}`, k: 50 }));
        expect(relaxed.items.slice(0, 20).map((x) => x.id)).toEqual(r.items.map((x) => x.id));
        expect(relaxed.items.slice(0, 20).every((x) => x.relaxed === undefined)).toBe(true);
        expect(relaxed.items.slice(20).every((x) => x.relaxed === true)).toBe(true);
        expect(relaxed.items.length).toBe(50);
        // 60 items of the brand: category relaxed alone fills k; brand stays.
        expect(relaxed.constraints.relaxed.map((c) => c.field)).toEqual(["category"]);
        expect(relaxed.items.every((x) => x.brand === brand)).toBe(true);
      }
  });

  it("hot-reloads a newly activated release without a failed request, and serves old ones by id", async () => {
    const data = join(dir, "data");
    await publishRelease({ dataDir: data, encoder: createHashEncoder({ seed: 7 }), topK: 50, activate: false });
    let stop = false;
    let ok = 0;
    const releases = new Set<string>();
    const hammer = (async () => {
      while (!stop) {
        const r = await service.retrieve(req({ query: "blue sneakers", k: 5 }));
        releases.add(r.release);
        ok++;
        // A qid hit completes without I/O; yield like an HTTP server between requests would.
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await activateRelease(data, "r002"); // written by another process in production: picked up by polling
    const deadline = Date.now() + 10_000;
    while (!releases.has("r002") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await hammer; // would reject if any request had failed
    expect(releases).toEqual(new Set(["r001", "r002"]));
    expect(ok).toBeGreaterThan(10);
    expect((await service.retrieve(req({ query: "blue sneakers", k: 5, release: "r001" }))).release).toBe("r001");
    const back = await service.rollback();
    expect(back.id).toBe("r001");
    expect((await service.health()).release).toBe("r001");
  });

  it("says what to do when nothing is published", async () => {
    const empty = join(dir, "empty");
    await writeFile(join(dir, "one.jsonl"), JSON.stringify({ id: "a", title: "x" }));
    await importData({ catalog: join(dir, "one.jsonl"), out: empty, images: false });
    const s = await createRetrievalService({ dataDir: empty, pollMs: 0 });
    await expect(s.retrieve(req({ query: "x" }))).rejects.toMatchObject({ code: "NO_RELEASE", message: expect.stringMatching(/vitrine publish/) });
    await expect(s.retrieve(req({ query: "x", release: "r009" }))).rejects.toMatchObject({ code: "NO_RELEASE" });
    await s.close();
  });
});
