import { spawn, spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDataset } from "../datasets/index.ts";
import { importData } from "../ingest/index.ts";
import { serveNode } from "../api/node/index.ts";
import { createRetrievalService } from "../api/service/index.ts";
import { createHashEncoder } from "../core/index.ts";
import { publishRelease } from "../lancedb/index.ts";

// datasets → import → pretrain (tiny) → eval, as a user runs it.
let dir: string;
const vitrine = (...args: string[]) => spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 300_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-eval-"));
  await generateDataset("demo", { out: join(dir, "src"), items: 300, seed: 5 });
  await importData({
    catalog: join(dir, "src", "catalog.jsonl"),
    clicks: join(dir, "src", "clicks.jsonl"),
    evalClicks: join(dir, "src", "clicks-eval.jsonl"),
    judgments: join(dir, "src", "judgments.jsonl"),
    out: join(dir, "data"),
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
    // The blend each fit chose, the prior's weight where it is not 0.
    expect(r.stdout).toMatch(/hash vectors \+ BM25 \(w [01]\.?\d*( prior 0\.\d)?\)/);
    expect(r.stdout).toMatch(/trained fusion \(tiny, step 30\), vectors/);
    expect(r.stdout).toMatch(/trained fusion \(tiny, step 30\) \+ BM25 \(w [01]\.?\d*( prior 0\.\d)?\)/);
    for (const slice of ["unseen pairs", "seen pairs", "head queries", "tail queries", "cold items", "title omits queried attribute", "unseen pairs, narrow queries \\(≤ 100 relevant\\)"])
      expect(r.stdout).toMatch(new RegExp(`Slice: ${slice}`));
    // The generator holds out whole pairs: every held-out pair is unseen, none seen.
    expect(r.stdout).toMatch(/Unseen \(query, item\) pairs among them: \d+/);
    const md = await readFile(join(data, "eval", "report.md"), "utf8");
    expect(md).toMatch(/Recall@100/);
    // The judgments' ceiling rows: ranking by judged relevance tops every model's NDCG@10 overall.
    const overall = md.slice(md.indexOf("## Overall"), md.indexOf("## Slice"));
    const col = overall
      .split("\n")
      .find((l) => l.startsWith("| Variant"))!
      .split("|")
      .map((c) => c.trim())
      .indexOf("NDCG@10");
    const ndcg = (label: string) =>
      Number(
        overall
          .split("\n")
          .find((l) => l.startsWith(`| ${label}`))!
          .split("|")[col],
      );
    for (const ties of ["random", "by training clicks"])
      expect(ndcg(`ceiling: judged relevance, ties ${ties}`)).toBeGreaterThan(Math.max(ndcg("lexical (BM25)"), ndcg("trained fusion (tiny, step 30) +")));
    // The trained run's vectors row carries the linear probe (issue #17), the + BM25 row does not.
    expect(md).toMatch(/\| trained fusion \(tiny, step 30\), vectors \|[^\n]*\| \d+\.\d ± \d+\.\d \| \d+\.\d ± \d+\.\d \|\n/);
    const html = await readFile(join(data, "eval", "report.html"), "utf8");
    expect(html).toMatch(/<svg/);
    // Example tiles are the import's thumbnails inlined (any catalog layout), and the page names no server folder.
    expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]{100,}"/);
    // (the command line as typed is the one place a path may show: it is the user's own)
    expect(html.replace(/<li><b>command<\/b>:[^<]*<\/li>/, "")).not.toContain(dir);
    expect(html).toMatch(/<div class="scroll"><table>/);
  }, 300_000);

  it("scores a running API over REST exactly as it scores the same release from the store, and takes click files", async () => {
    const data = join(dir, "data");
    const info = await publishRelease({ dataDir: data, encoder: createHashEncoder() });
    const service = await createRetrievalService({ dataDir: data, pollMs: 0 });
    const key = "eval-read-key-0123456789abcdef";
    const server = await serveNode({ service, port: 0, config: { keys: [{ id: "eval", key, role: "read" }], logLevel: "silent", rateLimit: null } });
    try {
      // The CLI runs in a child process while this process serves: spawn, not spawnSync.
      const run = (...args: string[]) =>
        new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
          const p = spawn(process.execPath, ["bin/vitrine.js", ...args], { stdio: ["ignore", "pipe", "pipe"] });
          let stdout = "";
          let stderr = "";
          p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
          p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
          p.on("exit", (status) => res({ status, stdout, stderr }));
        });
      const api = await run("eval", "--data", data, "--api", server.url, "--key", key, "--out", join(dir, "api-report"));
      expect(api.status, api.stderr).toBe(0);
      const store = await run("eval", "--data", data, "--release", info.id, "--out", join(dir, "store-report"));
      expect(store.status, store.stderr).toBe(0);
      // The store's table also holds the trained run of the first test, so it has the probe columns, empty ("—") on a release row.
      const cells = (out: string, label: RegExp) =>
        out
          .split("\n")
          .filter((l) => label.test(l))
          .map((l) =>
            l
              .replace(label, "")
              .replace(/(\s+—)+\s*$/, "")
              .trim(),
          )
          .filter((c) => /^\d/.test(c));
      const viaApi = cells(api.stdout, new RegExp(`^API ${server.url.replace(/[.]/g, "\\.")} \\(${info.id}\\)`));
      const viaStore = cells(store.stdout, new RegExp(`^release ${info.id} as served \\([^)]*\\)`));
      expect(viaApi.length).toBe(10); // overall + 9 slices (unseen, seen, head, tail, cold, title omits / names the queried attribute, unseen broad / narrow queries)
      expect(viaApi).toEqual(viaStore);
      expect(api.stdout).toMatch(/paths (qid|ann|qid\+ann) ×\d+/);

      // A click file with an item the catalog lacks and a broken row: counted and listed, not fatal.
      const file = join(dir, "my-clicks.jsonl");
      await writeFile(file, [JSON.stringify({ query: "red dress", item_id: "demo-000001" }), JSON.stringify({ query: "red dress", item_id: "sku-gone" }), "{broken"].join("\n"));
      const fromFile = await run("eval", "--data", data, "--clicks", file, "--release", "none", "--out", join(dir, "file-report"));
      expect(fromFile.status, fromFile.stderr).toBe(0);
      expect(fromFile.stderr).toMatch(/sku-gone/);
      expect(fromFile.stdout).toMatch(/Queries: .*my-clicks\.jsonl/);
    } finally {
      await server.close();
      await service.close();
    }
  }, 300_000);
});
