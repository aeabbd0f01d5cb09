import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder, queryId } from "../core/index.ts";
import { openStore } from "./connect.ts";
import { activateRelease, gcReleases, getActiveRelease, listReleases, openRelease, publishRelease, rollbackRelease, searchItems } from "./index.ts";
import { importedShop } from "./test-fixtures.ts";

let shop: Awaited<ReturnType<typeof importedShop>>;
beforeAll(async () => {
  shop = await importedShop({ items: 300, queries: 40, seed: 7 });
});
afterAll(() => shop.cleanup());

/** What readers of the active release answer: a logged query's qid list and an ANN search. */
async function answers(): Promise<{ release: string; list: string[]; ann: string[] }> {
  const rel = await openRelease(shop.dataDir);
  const [row] = await rel.qids
    .query()
    .where(`qid = ${queryId(loggedTerms).qid}`)
    .toArray();
  const enc = createHashEncoder({ dim: rel.encoder.dim, seed: Number(rel.encoder.config.seed) });
  const hits = await searchItems(rel.items, rel.info.index, enc.encode(["soft red boot"])[0]!, 10)
    .where("brand = 'Acme'")
    .select(["id", "_distance"])
    .toArray();
  return { release: rel.info.id, list: [...row.item_ids], ann: hits.map((h) => h.id) };
}
let loggedTerms = "";

const tables = async () => (await (await openStore(shop.dataDir)).tableNames()).filter((t) => /_r\d+$/.test(t)).sort();

describe("release lifecycle", () => {
  let first: Awaited<ReturnType<typeof answers>>;

  it("publishes r001 and serves it", async () => {
    await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 0 }), topK: 20 });
    const rel = await openRelease(shop.dataDir);
    loggedTerms = (await rel.qids.query().limit(1).toArray())[0].terms;
    first = await answers();
    expect(first.release).toBe("r001");
    expect(first.list).toHaveLength(20);
    expect(first.ann.length).toBeGreaterThan(0);
  });

  it("a crash before activation leaves r001 serving, the crashed release unlisted, and its id unused", async () => {
    await expect(
      publishRelease({
        dataDir: shop.dataDir,
        encoder: createHashEncoder({ seed: 1 }),
        topK: 20,
        beforeActivate: async () => {
          throw new Error("injected crash");
        },
      }),
    ).rejects.toThrow("injected crash");
    expect((await getActiveRelease(shop.dataDir))?.id).toBe("r001");
    expect((await listReleases(shop.dataDir)).map((r) => r.id)).toEqual(["r001"]);
    expect(await answers()).toEqual(first);
    await expect(activateRelease(shop.dataDir, "r002")).rejects.toMatchObject({ code: "RELEASE_INCOMPLETE" });
    await expect(openRelease(shop.dataDir, "r002")).rejects.toMatchObject({ code: "RELEASE_INCOMPLETE" });
    const next = await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 1 }), topK: 20 });
    expect(next.id).toBe("r003");
  });

  it("rollback restores the previous answers exactly, and rolling back again returns", async () => {
    const second = await answers();
    expect(second.release).toBe("r003");
    expect(second.list).not.toEqual(first.list);
    const back = await rollbackRelease(shop.dataDir);
    expect(back).toMatchObject({ id: "r001", active: true });
    expect(await answers()).toEqual(first);
    expect((await rollbackRelease(shop.dataDir)).id).toBe("r003");
    expect(await answers()).toEqual(second);
    await rollbackRelease(shop.dataDir);
    expect((await listReleases(shop.dataDir)).map((r) => [r.id, r.active])).toEqual([
      ["r003", false],
      ["r001", true],
    ]);
  });

  it("readers never fail while the pointer flips", async () => {
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const a = await answers();
        expect(["r001", "r003"]).toContain(a.release);
        reads++;
      }
    })();
    for (let i = 0; i < 6; i++) await activateRelease(shop.dataDir, i % 2 ? "r001" : "r003");
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((await getActiveRelease(shop.dataDir))?.id).toBe("r001");
  });

  it("gc keeps the active release, its rollback target and the N newest; drops the rest and crashed leftovers", async () => {
    // Pointer now: r001 active, r003 previous. Add r004, r005 without activating.
    await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder(), topK: 5, activate: false });
    await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder(), topK: 5, activate: false });
    expect(await tables()).toContain("items_r002");
    const res = await gcReleases(shop.dataDir, { keep: 1 });
    expect(res.kept.sort()).toEqual(["r001", "r003", "r005"]);
    expect(res.removed).toEqual(["r004"]);
    expect(res.droppedTables.sort()).toEqual(["items_r002", "items_r004", "lexicon_r002", "lexicon_r004", "qids_r002", "qids_r004"]);
    expect(await tables()).toEqual(["items_r001", "items_r003", "items_r005", "lexicon_r001", "lexicon_r003", "lexicon_r005", "qids_r001", "qids_r003", "qids_r005"]);
    expect(await answers()).toEqual(first);

    await activateRelease(shop.dataDir, "r005"); // previous: r001
    const res2 = await gcReleases(shop.dataDir, { keep: 0 });
    expect(res2).toMatchObject({ kept: ["r005", "r001"], removed: ["r003"] });
    expect((await listReleases(shop.dataDir)).map((r) => r.id)).toEqual(["r005", "r001"]);
    expect((await rollbackRelease(shop.dataDir)).id).toBe("r001");
    // A gc'd release's id is still never reused.
    expect((await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder(), topK: 5, activate: false })).id).toBe("r006");
  });
});
