import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDataset } from "../datasets/index.ts";
import { importData } from "../ingest/import-data.ts";

// datasets → import → pretrain (tiny) → eval, as a user runs it.
let dir: string;
const vitrine = (...args: string[]) => spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 300_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-eval-"));
  await generateDataset("demo", { out: join(dir, "src"), items: 300, seed: 5 });
  await importData({
    catalog: join(dir, "src", "catalog.jsonl"), clicks: join(dir, "src", "clicks.jsonl"), evalClicks: join(dir, "src", "clicks-eval.jsonl"),
    judgments: join(dir, "src", "judgments.jsonl"), out: join(dir, "data"),
  });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("vitrine eval", () => {
  it("reports the baseline and the trained towers, overall and on the title-omits slice", async () => {
    const data = join(dir, "data");
    const p = vitrine("pretrain", "--data", data, "--preset", "tiny", "--steps", "30", "--backend", "wasm", "--quiet");
    expect(p.status, p.stderr).toBe(0);
    const r = vitrine("eval", "--data", data);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lexical \(BM25\)/);
    expect(r.stdout).toMatch(/hash vectors \+ BM25 \(w [01]\.?\d*\)/);
    expect(r.stdout).toMatch(/trained fusion \(tiny, step 30\), vectors/);
    expect(r.stdout).toMatch(/trained fusion \(tiny, step 30\) \+ BM25 \(w [01]\.?\d*\)/);
    for (const slice of ["unseen pairs", "seen pairs", "head queries", "tail queries", "cold items", "title omits queried attribute"]) expect(r.stdout).toMatch(new RegExp(`Slice: ${slice}`));
    // The generator holds out whole pairs: every held-out pair is unseen, none seen.
    expect(r.stdout).toMatch(/Unseen \(query, item\) pairs among them: \d+/);
    const md = await readFile(join(data, "eval", "report.md"), "utf8");
    expect(md).toMatch(/Recall@100/);
    const html = await readFile(join(data, "eval", "report.html"), "utf8");
    expect(html).toMatch(/<svg/);
    expect(html).toMatch(/<img /);
  }, 300_000);
});
