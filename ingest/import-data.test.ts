import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { Table as WasmTable, writeParquet } from "parquet-wasm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, readImportManifest } from "../lancedb/index.ts";
import { importData } from "./import-data.ts";
import type { Reject } from "./rejects.ts";
import { columnPreset, parseColumnMap } from "./column-map.ts";
import type { ImportError } from "./errors.ts";

let dir: string;
let server: Server;
let base: string;
let slowHits = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-import-"));
  const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 220, g: 10, b: 10 } } })
    .png()
    .toBuffer();
  await writeFile(join(dir, "red.png"), red);
  await writeFile(join(dir, "corrupt.png"), Buffer.from("\x89PNG\r\n\x1a\nthis is not really a png"));
  server = createServer((req, res) => {
    if (req.url === "/ok.png") res.writeHead(200, { "content-type": "image/png" }).end(red);
    else if (req.url === "/slow.png") {
      slowHits++;
      setTimeout(() => res.writeHead(200).end(red), 2_000).unref();
    } else res.writeHead(404).end("nope");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const imageOptions = { timeoutMs: 300, retries: 1, backoffMs: 10, allowPrivateHosts: true };

async function rejectsOf(out: string): Promise<Reject[]> {
  return (await readFile(join(out, "rejects.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe("importData: bad rows", () => {
  it("rejects every bad-row kind with its line and reason and imports the rest", async () => {
    const catalog = join(dir, "catalog.jsonl");
    const lines = [
      /* 1 */ JSON.stringify({ id: "a1", title: "Red dress", image: "red.png", brand: "Acme", category: "Women>Dresses", price: 19.5, attributes: { material: "cotton" } }),
      /* 2 */ `{"id": "a2", "title": "broken`,
      /* 3 */ JSON.stringify({ title: "no id here" }),
      /* 4 */ JSON.stringify({ id: "a1", title: "duplicate of line 1" }),
      /* 5 */ JSON.stringify({ id: "a5", title: 12345 }),
      /* 6 */ JSON.stringify({ id: "a6", title: "Cheap", price: -3 }),
      /* 7 */ JSON.stringify({ id: "a7", title: "x".repeat(1001) }),
      /* 8 */ JSON.stringify({ id: "a8", title: "Price as text", price: "cheap" }),
      /* 9 */ "",
      /* 10 */ JSON.stringify({ id: "a10", title: "Plain bag", brand: "Acme", price: 0 }),
      /* 11 */ "[1, 2, 3]",
    ];
    await writeFile(catalog, lines.join("\n") + "\n");
    const clicks = join(dir, "clicks.jsonl");
    await writeFile(
      clicks,
      [
        JSON.stringify({ query: "red dress", item_id: "a1", clicks: 3 }),
        JSON.stringify({ query: "red dress", item_id: "ghost" }),
        JSON.stringify({ query: "cheap", item_id: "a6" }),
        JSON.stringify({ query: "bag", item_id: "a10", clicks: 0 }),
        JSON.stringify({ query: "???", item_id: "a10" }),
        JSON.stringify({ query: "bag acme", item_id: "a10", ts: "2026-01-02T03:04:05Z", purchases: 1 }),
      ].join("\n"),
    );
    const out = join(dir, "out-bad");
    const summary = await importData({ catalog, clicks, out, evalFraction: 0, imageOptions });

    expect(summary.catalog).toMatchObject({ read: 10, imported: 2, rejected: 8, textOnly: 1, imagesOk: 1 });
    expect(summary.clicks).toMatchObject({ read: 6, imported: 2, rejected: 4 });
    const rej = await rejectsOf(out);
    const byLine = (kind: string) => Object.fromEntries(rej.filter((r) => r.kind === kind).map((r) => [r.line, r.reason]));
    const cat = byLine("catalog");
    expect(Object.keys(cat).map(Number)).toEqual([2, 3, 4, 5, 6, 7, 8, 11]);
    expect(cat[2]).toMatch(/^broken JSON/);
    expect(cat[3]).toBe("id: id is missing");
    expect(cat[4]).toBe('duplicate id "a1" (first seen at line 1); ids must be unique');
    expect(cat[5]).toBe("title: title must be a string, got number");
    expect(cat[6]).toBe("price: price is negative; prices must be ≥ 0");
    expect(cat[7]).toBe("title: title is longer than 1000 characters; shorten it");
    expect(cat[8]).toBe("price: price must be a number (e.g. 19.99)");
    expect(cat[11]).toMatch(/not a JSON object/);
    expect(rej.every((r) => r.file === catalog || r.file === clicks)).toBe(true);
    const clk = byLine("clicks");
    expect(Object.keys(clk).map(Number)).toEqual([2, 3, 4, 5]);
    expect(clk[2]).toMatch(/item_id "ghost" is not in the imported catalog/);
    expect(clk[3]).toMatch(/item_id "a6" is not in the imported catalog/);
    expect(clk[4]).toBe("clicks: clicks must be ≥ 1");
    expect(clk[5]).toMatch(/no searchable terms/);

    const db = await openStore(out);
    const items = await (await db.openTable("catalog")).query().toArray();
    expect(items.map((r) => r.id).sort()).toEqual(["a1", "a10"]);
    const a1 = items.find((r) => r.id === "a1")!;
    expect(a1.text_only).toBe(false);
    expect(a1.thumb.length).toBe(64 * 64 * 3);
    expect(a1.attributes).toBe('{"material":"cotton"}');
    const a10 = items.find((r) => r.id === "a10")!;
    expect(a10.text_only).toBe(true);
    expect(a10.image_error).toBeNull();
    const cl = await (await db.openTable("clicks")).query().toArray();
    expect(cl.map((r) => r.terms).sort()).toEqual(["acme bag", "dress red"]);
    expect((await readImportManifest(out)).summary.catalog.imported).toBe(2);
  });
});

describe("importData: images", () => {
  it("flags a corrupt file, a missing file, a 404 and a slow URL as text-only and keeps going", async () => {
    const catalog = join(dir, "images.jsonl");
    const rows = [
      { id: "ok-file", title: "t", image: "red.png" },
      { id: "ok-http", title: "t", image: `${base}/ok.png` },
      { id: "corrupt", title: "t", image: "corrupt.png" },
      { id: "missing", title: "t", image: "nowhere.png" },
      { id: "404", title: "t", image: `${base}/missing.png` },
      { id: "slow", title: "t", image: `${base}/slow.png` },
    ];
    await writeFile(catalog, rows.map((r) => JSON.stringify(r)).join("\n"));
    const out = join(dir, "out-img");
    const t0 = performance.now();
    const summary = await importData({ catalog, out, imageOptions });
    expect(performance.now() - t0).toBeLessThan(1_900); // the slow URL timed out instead of waiting 2 s
    expect(summary.catalog).toMatchObject({ imported: 6, rejected: 0, imagesOk: 2, imagesFailed: 4, textOnly: 4 });
    const db = await openStore(out);
    const items = Object.fromEntries((await (await db.openTable("catalog")).query().toArray()).map((r) => [r.id, r]));
    expect(items["ok-http"].text_only).toBe(false);
    expect(items.corrupt.image_error).toMatch(/corrupt image/);
    expect(items.missing.image_error).toMatch(/file not found/);
    expect(items["404"].image_error).toBe("http 404");
    expect(items.slow.image_error).toMatch(/timeout/);
    expect(slowHits).toBe(2); // one attempt plus one retry
  });
});

describe("importData: formats and re-runs", () => {
  const rows = [
    { id: "p1", title: "Blue tee", brand: "Zed", category: "Men>Tops", price: 9.99 },
    { id: "p2", title: "Green hat", brand: "Zed", category: "Accessories>Hats", price: 5 },
    { id: "p3", title: "Bad", price: -1 },
  ];

  it("reads CSV and Parquet into the same rows as JSONL", async () => {
    const jsonl = join(dir, "fmt.jsonl");
    await writeFile(jsonl, rows.map((r) => JSON.stringify(r)).join("\n"));
    const csv = join(dir, "fmt.csv");
    await writeFile(
      csv,
      "id,title,brand,category,price,attr.material\n" + rows.map((r) => `${r.id},"${r.title}",${r.brand ?? ""},${r.category ?? ""},${r.price},`).join("\n") + '\np4,"unterminated\n',
    );
    const pq = join(dir, "fmt.parquet");
    const arrow = tableFromArrays({
      id: rows.map((r) => r.id),
      title: rows.map((r) => r.title),
      brand: rows.map((r) => r.brand ?? null),
      category: rows.map((r) => r.category ?? null),
      price: Float64Array.from(rows.map((r) => r.price)),
    });
    await writeFile(pq, writeParquet(WasmTable.fromIPCStream(tableToIPC(arrow, "stream"))));

    const got: Record<string, unknown[]> = {};
    for (const [name, file] of [
      ["jsonl", jsonl],
      ["csv", csv],
      ["parquet", pq],
    ] as const) {
      const out = join(dir, `out-${name}`);
      const s = await importData({ catalog: file, out, images: false });
      const db = await openStore(out);
      got[name] = (await (await db.openTable("catalog")).query().select(["id", "title", "brand", "category", "price"]).toArray()).map((r) => ({ ...r })).sort((a, b) => (a.id < b.id ? -1 : 1));
      const rej = await rejectsOf(out);
      expect(rej.find((r) => r.line === (name === "csv" ? 4 : 3))?.reason).toBe("price: price is negative; prices must be ≥ 0");
      if (name === "csv") {
        expect(s.catalog.rejected).toBe(2);
        expect(rej.some((r) => /malformed CSV/.test(r.reason))).toBe(true);
      }
    }
    expect(got.jsonl).toHaveLength(2);
    expect(got.csv).toEqual(got.jsonl);
    expect(got.parquet).toEqual(got.jsonl);
  });

  it("is idempotent: a second run writes the same rows, rejects and split", async () => {
    const catalog = join(dir, "idem.jsonl");
    await writeFile(catalog, rows.map((r) => JSON.stringify(r)).join("\n"));
    const clicks = join(dir, "idem-clicks.jsonl");
    await writeFile(clicks, Array.from({ length: 200 }, (_, i) => JSON.stringify({ query: `q${i % 17} tee`, item_id: i % 2 ? "p1" : "p2" })).join("\n"));
    const out = join(dir, "out-idem");
    const snapshot = async () => {
      const db = await openStore(out);
      const dump = async (t: string) => (await (await db.openTable(t)).query().toArray()).map((r) => JSON.stringify(r)).sort();
      return { catalog: await dump("catalog"), clicks: await dump("clicks"), eval: await dump("clicks_eval"), rejects: await readFile(join(out, "rejects.jsonl"), "utf8") };
    };
    const s1 = await importData({ catalog, clicks, out, images: false });
    const first = await snapshot();
    const s2 = await importData({ catalog, clicks, out, images: false });
    expect(await snapshot()).toEqual(first);
    expect(s2.clicks).toEqual(s1.clicks);
    expect(first.catalog).toHaveLength(2);
    expect(s1.clicksEval.imported).toBeGreaterThan(5);
    expect(s1.clicksEval.imported + s1.clicks.imported).toBe(200);
    expect(first.eval.length).toBe(s1.clicksEval.imported);
  });

  it("splits held-out clicks by pair (default), by time, or by row, and says how many held-out pairs training saw", async () => {
    const catalog = join(dir, "split.jsonl");
    await writeFile(catalog, rows.map((r) => JSON.stringify(r)).join("\n"));
    const clicks = join(dir, "split-clicks.jsonl");
    // 60 queries × 2 items, each pair clicked 5 times on different days: a log that repeats pairs.
    const log: string[] = [];
    for (let rep = 0; rep < 5; rep++)
      for (let q = 0; q < 60; q++)
        for (const id of ["p1", "p2"]) {
          log.push(JSON.stringify({ query: `q${q} tee`, item_id: id, ts: new Date(Date.UTC(2026, 0, 1 + rep * 10 + (q % 7))).toISOString() }));
        }
    await writeFile(clicks, log.join("\n"));
    const pairsOf = async (out: string, table: string) => {
      const db = await openStore(out);
      return new Set((await (await db.openTable(table)).query().toArray()).map((r) => `${r.terms}|${r.item_id}`));
    };
    const run = async (split: "pair" | "time" | "row") => {
      const out = join(dir, `out-split-${split}`);
      const summary = await importData({ catalog, clicks, out, images: false, evalFraction: 0.2, split });
      const train = await pairsOf(out, "clicks");
      const held = await pairsOf(out, "clicks_eval");
      return { summary, seen: [...held].filter((p) => train.has(p)).length, held: held.size, manifest: await readImportManifest(out) };
    };
    const pair = await run("pair");
    expect(pair.held).toBeGreaterThan(10);
    expect(pair.seen).toBe(0);
    expect(pair.summary.split).toEqual({ mode: "pair", fraction: 0.2, heldOutPairs: pair.held, heldOutPairsSeenInTraining: 0 });
    expect(pair.summary.clicksEval.imported).toBe(pair.held * 5);
    expect(pair.manifest.split).toBe("pair");
    const row = await run("row");
    // The row split leaks: most held-out pairs were also trained on.
    expect(row.seen / row.held).toBeGreaterThan(0.5);
    expect(row.summary.split.heldOutPairsSeenInTraining).toBe(row.seen);
    const time = await run("time");
    expect(time.summary.clicksEval.imported).toBeGreaterThanOrEqual(0.2 * 600);
    expect(time.summary.clicksEval.imported).toBeLessThan(0.3 * 600);
    // No ts at all: the time split refuses with the fix.
    const noTs = join(dir, "split-nots.jsonl");
    await writeFile(noTs, JSON.stringify({ query: "tee", item_id: "p1" }));
    await expect(importData({ catalog, clicks: noTs, out: join(dir, "out-split-nots"), images: false, split: "time" })).rejects.toThrow(/--split time needs a ts/);
  });

  it("leaves a manifest that readers refuse when the import dies midway", async () => {
    const catalog = join(dir, "crash.jsonl");
    await writeFile(catalog, rows.map((r) => JSON.stringify(r)).join("\n"));
    const out = join(dir, "out-crash");
    await importData({ catalog, out, images: false });
    await expect(
      importData({
        catalog,
        out,
        images: false,
        onProgress: () => {
          throw new Error("injected crash");
        },
      }),
    ).rejects.toThrow("injected crash");
    // An error ends the manifest "failed" with its reason (issue 13 F: it used to stay "running").
    expect(JSON.parse(await readFile(join(out, "import.json"), "utf8"))).toMatchObject({ state: "failed", error: "injected crash" });
    await expect(readImportManifest(out)).rejects.toThrow(/last import into .* failed \(injected crash\)/);
  });

  it("names missing required columns and the preset that maps them, and exits as failed (a Shopify export)", async () => {
    const csv = join(dir, "shopify.csv");
    await writeFile(
      csv,
      ["Handle,Title,Body (HTML),Vendor,Type,Variant Price,Image Src", "red-dress,Red dress,<p>x</p>,Acme,Dresses,19.50,", "red-dress,,,,,21.00,", "blue-bag,Blue bag,,Acme,Bags,5,"].join("\n"),
    );
    const out = join(dir, "out-shopify");
    const err = await importData({ catalog: csv, out, images: false }).catch((e: unknown) => e as ImportError);
    expect(err).toMatchObject({ code: "MISSING_COLUMNS" });
    expect((err as Error).message).toMatch(/no "id" or "title" column \(columns: Handle, Title, .*--map id=Column,title=Column; these look like a shopify export: add --columns shopify/);
    expect(JSON.parse(await readFile(join(out, "import.json"), "utf8"))).toMatchObject({ state: "failed" });

    const s = await importData({ catalog: csv, out, images: false, columns: columnPreset("shopify") });
    expect(s.catalog).toMatchObject({ read: 3, imported: 2, rejected: 0 });
    expect(s.warnings).toEqual([
      expect.stringMatching(/^catalog columns ignored: Body \(HTML\); map one with --map/),
      "1 catalog rows repeated an earlier id without a title (variant/image rows of a platform export) and were skipped",
    ]);
    const manifest = await readImportManifest(out);
    expect(manifest.summary.catalog.imported).toBe(2);
  });

  it("maps columns by hand, keeps the first of a listed value, and refuses a catalog with nothing importable", async () => {
    const jsonl = join(dir, "woo.jsonl");
    await writeFile(jsonl, [JSON.stringify({ ID: "7", Name: "Wool hat", "Regular price": 12, Images: "https://cdn.test/a.jpg, https://cdn.test/b.jpg", Categories: "Hats > Wool, Sale" })].join("\n"));
    const s = await importData({ catalog: jsonl, out: join(dir, "out-woo"), images: false, columns: columnPreset("woocommerce") });
    expect(s.catalog.imported).toBe(1);
    const byHand = parseColumnMap("id=ID, title=Name");
    expect(byHand).toEqual({ columns: { id: "ID", title: "Name" } });
    expect(() => parseColumnMap("sku=ID")).toThrow(/unknown field "sku"; map one of id, title/);
    expect(() => parseColumnMap("id")).toThrow(/not field=Column/);
    expect(() => columnPreset("magento")).toThrow(/use shopify or woocommerce/);

    const bad = join(dir, "all-bad.jsonl");
    await writeFile(bad, [JSON.stringify({ id: "a", title: "" }), JSON.stringify({ id: "b", title: "" })].join("\n"));
    await expect(importData({ catalog: bad, out: join(dir, "out-bad"), images: false })).rejects.toMatchObject({
      code: "NOTHING_IMPORTED",
      message: expect.stringMatching(/none of the 2 rows could be imported \(first: line 1: .*title is empty/),
    });
  });
});
