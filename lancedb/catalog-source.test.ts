import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryId } from "../core/index.ts";
import { readClickLog, readLoggedQueries } from "./catalog-source.ts";
import { openStore } from "./connect.ts";
import { IMPORT_TABLES } from "./import-tables.ts";
import { readImportManifest } from "./import-manifest.ts";
import { importedShop } from "./test-fixtures.ts";

let shop: Awaited<ReturnType<typeof importedShop>>;
beforeAll(async () => {
  shop = await importedShop({ items: 60, queries: 12 });
});
afterAll(() => shop.cleanup());

describe("readClickLog", () => {
  it("reads the training clicks and the distinct queries in one scan, with their own skip rules", async () => {
    const db = await openStore(shop.dataDir);
    const version = (await readImportManifest(shop.dataDir)).tables[IMPORT_TABLES.clicks];
    const clicks = await (await db.openTable(IMPORT_TABLES.clicks)).query().select(["item_id", "terms", "clicks"]).toArray();
    expect(clicks.length).toBeGreaterThan(20);
    // Half the catalog unknown to this publish: their click rows leave the training clicks only.
    const known = shop.items.filter((_, i) => i % 2 === 0);
    const rowOf = new Map(known.map((it, i) => [it.id, i]));
    const log = await readClickLog(db, rowOf, version);

    const kept = clicks.filter((c) => rowOf.has(c.item_id as string));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(clicks.length);
    expect(log.training.rows).toEqual(kept.map((c) => rowOf.get(c.item_id as string)));
    expect(log.training.terms).toEqual(kept.map((c) => c.terms));
    expect(log.training.clicks).toEqual(kept.map((c) => c.clicks));

    // Every logged query stays, unknown items' rows included: the same list the eval reads alone.
    expect(log.queries).toEqual(await readLoggedQueries(db, version));
    const terms = [...new Set(clicks.map((c) => c.terms as string))].sort();
    expect(log.queries.map((q) => q.terms).sort()).toEqual(terms);
    for (const q of log.queries) expect(q.qid).toBe(queryId(q.terms).qid);
    expect(log.queries.map((q) => q.qid)).toEqual([...log.queries.map((q) => q.qid)].sort((a, b) => a - b));
  });

  it("keeps every query when no click names a known item, and is empty without a click table", async () => {
    const db = await openStore(shop.dataDir);
    const none = await readClickLog(db, new Map());
    expect(none.training).toEqual({ rows: [], clicks: [], terms: [] });
    expect(none.queries).toEqual(await readLoggedQueries(db));
    expect(none.queries.length).toBeGreaterThan(5);

    const dir = await mkdtemp(join(tmpdir(), "vitrine-noclicks-"));
    try {
      const empty = await readClickLog(await openStore(dir), new Map([["x", 0]]));
      expect(empty).toEqual({ training: { rows: [], clicks: [], terms: [] }, queries: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
