import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateDataset } from "../datasets/index.ts";
import { runAblations } from "../gpu-jobs/index.ts";
import { evalCommand } from "../gpu-jobs/eval/eval-command.ts";
import { importData } from "../ingest/index.ts";

// `vitrine eval --ablations` on a small generated shop with the tiny preset: trains what no run
// covers (one child process per distinct config), reuses finished runs with the same config,
// prints both tables, and keeps the others' results when one variant fails.
let dir: string;
let data: string;
const vitrine = (...args: string[]) => spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 120_000 });
const TINY = ["--preset", "tiny", "--steps", "6", "--backend", "wasm"];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-ablations-"));
  await generateDataset("demo", { out: join(dir, "src"), items: 150, seed: 3 });
  data = join(dir, "data");
  await importData({
    catalog: join(dir, "src", "catalog.jsonl"),
    clicks: join(dir, "src", "clicks.jsonl"),
    evalClicks: join(dir, "src", "clicks-eval.jsonl"),
    judgments: join(dir, "src", "judgments.jsonl"),
    out: data,
  });
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The cells of a terminal-table row, by its label. */
const rowOf = (out: string, label: string) =>
  out
    .split("\n")
    .find((l) => l.startsWith(`${label}  `))
    ?.slice(label.length)
    .trim()
    .split(/\s+/);

/** One printed table: the text after the title line that names both parts, up to the next blank line pair. */
const tableOf = (out: string, table: string, kind: string) => {
  const start = out.split("\n").findIndex((l) => l.startsWith(table) && l.includes(kind) && !l.startsWith("| "));
  expect(start, `${table} — ${kind}`).toBeGreaterThanOrEqual(0);
  const lines = out.split("\n").slice(start + 2);
  return lines.slice(0, lines.indexOf("")).join("\n");
};

describe("vitrine eval --ablations", () => {
  it("trains only missing configs, shares one run between identical rows, and reuses finished runs on the next call", async () => {
    // A finished text-only run under another name: found by its config, not retrained.
    const own = vitrine("pretrain", "--data", data, ...TINY, "--fusion", "text", "--seed", "1", "--run-dir", join(data, "runs", "my-text"), "--quiet");
    expect(own.status, own.stderr.slice(-2000)).toBe(0);

    const first = vitrine("eval", "--data", data, "--ablations", ...TINY, "--seeds", "1,2", "--finetune-steps", "0", "--only", "text,fusion-no-stage1,in-batch");
    expect(first.status, first.stderr.slice(-2000)).toBe(0);
    expect(first.stderr).toMatch(/text-s1: reuse runs\/my-text \(step 6\)/);
    expect(first.stderr).toMatch(/fusion-no-stage1-s1: train into runs\/ablation-fusion-no-stage1-s1/);
    expect(first.stderr).toMatch(/text-s2: train into runs\/ablation-text-s2/);
    expect(first.stderr.match(/^training /gm)).toHaveLength(3); // the default ×2 seeds, text seed 2; "in-batch" is the default run
    expect(existsSync(join(data, "runs", "ablation-text-s1"))).toBe(false);

    expect(first.stdout).toMatch(/Item tower \(seed 003\).* — as served/);
    expect(first.stdout).toMatch(/Negatives and MPM \(seed 001\).* — vector channel alone/);
    for (const label of ["lexical (BM25)", "text-only (2 seeds)", "fusion, no stage 1 (2 seeds)", "in-batch only (2 seeds)"]) expect(rowOf(first.stdout, label), label).toBeDefined();
    expect(rowOf(first.stdout, "in-batch only (2 seeds)")).toEqual(rowOf(first.stdout, "fusion, no stage 1 (2 seeds)"));
    expect(rowOf(first.stdout, "concat (2 seeds)")).toBeUndefined();
    // queries + 4 recall + 4 hit rate + NDCG + relevance + category, then the two probe cells ("82.1 ± 0.9": 3 tokens each)
    expect(rowOf(first.stdout, "fusion, no stage 1 (2 seeds)")!.length).toBe(12 + 6);
    // The decision table: mean ± sd over the seeds on unseen pairs and the title-omits slice.
    // Seeds, then the fitted vector weights and popularity-prior weights per seed, then mean ± sd.
    expect(first.stdout).toMatch(/\| text-only \| 1,2 \| [0-9.,]+ \| [0-9.,]+ \| \d+\.\d ± \d+\.\d \|/);
    expect(first.stdout).toMatch(/unseen NDCG@10/);

    const md = await readFile(join(data, "eval", "ablations", "report.md"), "utf8");
    expect(md).toMatch(/## Item tower \(seed 003\)[^\n]*as served[\s\S]*### Overall[\s\S]*\| text-only \(2 seeds\) \|[\s\S]*### Slice: unseen pairs[\s\S]*### Slice: title omits queried attribute/);
    expect(md).toMatch(/## Negatives and MPM \(seed 001\)[\s\S]*\| in-batch only \(2 seeds\) \|/);
    expect(md).toMatch(/text-s1 ← runs\/my-text; text-s2 ← runs\/ablation-text-s2; fusion-no-stage1-s1 ← runs\/ablation-fusion-no-stage1-s1/);
    // The linear probe of every row's item vectors (issue #17), as published and with the title masked.
    expect(md).toMatch(/\| CategoryCons@10 \| probe acc \| probe acc, title masked \|/);
    expect(md).toMatch(/\| text-only \(2 seeds\) \|[^\n]*\| \d+\.\d ± \d+\.\d \| \d+\.\d ± \d+\.\d \|\n/);
    expect(md).toMatch(/Probe of text-only \(2 seeds\): item vectors → category, \d+\.\d% ± \d+\.\d over 2 seeds/);
    expect(await readFile(join(data, "eval", "ablations", "report.html"), "utf8")).toMatch(/<h2>Negatives and MPM \(seed 001\)/);
    // Per-seed metrics for paired comparisons: each row's seeds with the table's numbers, as served and vectors alone.
    const perSeed = JSON.parse(await readFile(join(data, "eval", "ablations", "seeds.json"), "utf8"));
    const text = perSeed.rows.find((r: { channels: string; row: { label: string } }) => r.channels === "served" && r.row.label === "text-only");
    expect(text.row.seeds).toEqual([1, 2]);
    expect(text.row.tables).toHaveLength(2);
    expect(text.row.weights).toHaveLength(2);
    const meanR100 = (text.row.tables[0].slices["unseen pairs"].recall[100] + text.row.tables[1].slices["unseen pairs"].recall[100]) / 2;
    expect(md).toContain(`| ${(meanR100 * 100).toFixed(1)} ±`);
    expect(perSeed.rows.filter((r: { channels: string }) => r.channels === "vectors").length).toBeGreaterThan(0);

    const ckpt = join(data, "runs", "ablation-fusion-no-stage1-s1", (await readFile(join(data, "runs", "ablation-fusion-no-stage1-s1", "latest"), "utf8")).trim(), "weights.bin");
    const before = (await stat(ckpt)).mtimeMs;
    const second = vitrine(
      "eval",
      "--data",
      data,
      "--ablations",
      ...TINY,
      "--seeds",
      "1,2",
      "--finetune-steps",
      "0",
      "--only",
      "in-batch,text",
      "--ann",
      "--fixed-blend",
      "1",
      "--fixed-blend",
      "rrf:0.5",
      "--fixed-blend",
      "1,prior:0.3",
      "--baseline",
      join(data, "eval", "ablations"),
    );
    expect(second.status, second.stderr.slice(-2000)).toBe(0);
    expect(second.stderr).toMatch(/fusion-no-stage1-s1: reuse runs\/ablation-fusion-no-stage1-s1 \(step 6\)/);
    expect(second.stderr).not.toMatch(/^training /m);
    expect((await stat(ckpt)).mtimeMs).toBe(before);
    expect(rowOf(second.stdout, "in-batch only (2 seeds)")).toEqual(rowOf(first.stdout, "in-batch only (2 seeds)"));
    // --fixed-blend: each row served with its fitted blend and with every fixed one; a fixed weight
    // of 1 is the vector channel alone, so its row must equal that table's row.
    const alone = tableOf(second.stdout, "Item tower (seed 003)", "vector channel alone");
    const blends = tableOf(second.stdout, "Item tower (seed 003)", "fitted vs fixed blends");
    expect(rowOf(blends, "text-only, fitted blend (2 seeds)")).toEqual(rowOf(second.stdout, "text-only (2 seeds)"));
    expect(rowOf(blends, "text-only, fixed w 1 (2 seeds)")).toEqual(rowOf(alone, "text-only (2 seeds)"));
    expect(rowOf(blends, "text-only, fixed rrf w 0.5 (2 seeds)")).toBeDefined();
    expect(rowOf(blends, "text-only, fixed w 1 prior 0.3 (2 seeds)")).toBeDefined();
    expect(second.stdout).toMatch(
      /fitted vs fixed blends\n\n\| Variant \| Seeds \| blend w \|[^\n]*\n[^\n]*\n\| text-only, fitted blend \| 1,2 \| [0-9.]+,[0-9.]+ \|[^\n]*\n\| text-only, fixed w 1 \| 1,2 \| — \|/,
    );
    // Paired by seed against the fit: the mean of the per-seed differences is the difference of the means.
    const cell = (title: RegExp, row: string, col: string) => {
      const lines = second.stdout.slice(second.stdout.search(title)).split("\n").slice(2);
      const head = lines[0]!.split("|").map((c) => c.trim());
      const line = lines.find((l) => l.startsWith(`| ${row} |`));
      expect(line, `${row} under ${title}`).toBeDefined();
      return Number.parseFloat(
        line!
          .split("|")
          .map((c) => c.trim())
          [head.indexOf(col)]!.replace("−", "-"),
      );
    };
    const means = /Item tower \(seed 003\)[^\n]*: mean ± sd over seeds \(%\), fitted vs fixed blends/;
    const paired = /Item tower \(seed 003\)[^\n]*: as served, fixed w 1 − the fitted blend, paired by seed/;
    const delta = cell(paired, "text-only", "Δ unseen R@10");
    expect(Math.abs(delta - (cell(means, "text-only, fixed w 1", "unseen R@10") - cell(means, "text-only, fitted blend", "unseen R@10")))).toBeLessThanOrEqual(0.11);
    expect(second.stdout).toMatch(/fixed rrf w 0\.5 − the fitted blend, paired by seed[^\n]*\n\n\| Variant \| Seeds \| Δ unseen R@10 \|[^\n]*\n[^\n]*\n\| text-only \| 1,2 \|/);
    // --baseline: the same runs scored the same way as the first call differ by exactly 0 on every seed.
    expect(second.stdout).toMatch(
      /Item tower \(seed 003\)[^\n]*: as served, this run − [^\n]*seeds\.json \(vitrine eval [^\n]*--ablations[^\n]*\), paired by seed[^\n]*\n\n\| Variant \| Seeds \| Δ unseen R@10 \|[^\n]*\n[^\n]*\n\| text-only \| 1,2 \| \+0\.0 ± 0\.0 \| \+0\.0 ± 0\.0 \|/,
    );
    // --ann: each run's vectors also go through the release ANN index; its recall is reported.
    expect(await readFile(join(data, "eval", "ablations", "report.md"), "utf8")).toMatch(/ANN recall vs exact \(fusion-no-stage1-s1\): @10 \d+\.\d%, @100 \d+\.\d% over \d+ queries — ivf_hnsw_sq/);
  }, 240_000);

  it("rejects bad flags by name before training anything", async () => {
    // In-process: usage errors return before any data is read, so no CLI start-up per case.
    const errors: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((m: unknown) => void errors.push(String(m)));
    const cases: [string[], RegExp][] = [
      [["--ablations", "--only", "text,bogus"], /--only: unknown variant "bogus"/],
      [["--ablations", "--preset", "huge"], /--preset must be one of tiny, cpu, base/],
      [["--ablations", "--steps", "1.5"], /--steps must be a whole number/],
      [["--ablations", "--seeds", "1,x"], /--seeds must be a whole number/],
      [["--seeds", "1"], /--seeds only applies with --ablations/],
      [["--key", "k"], /--key only applies with --api/],
      [["--release", "latest"], /--release must be a release id like r002/],
      [["--ablations", "--concurrency", "0"], /--concurrency must be a whole number ≥ 1/],
      [["--ablations", "--run-dir", "x"], /--run-dir cannot be combined with --ablations/],
      [["--only", "text"], /--only only applies with --ablations/],
      [["--ablations", "--fixed-blend", "1.5"], /--fixed-blend must be a vector weight in \[0, 1\]/],
      [["--ablations", "--fixed-blend", "max"], /--fixed-blend must be a vector weight in \[0, 1\]/],
      [["--fixed-blend", "0.5"], /--fixed-blend only applies with --ablations/],
      [["--baseline", "x"], /--baseline only applies with --ablations/],
      [["--ablations", "--baseline", join(data, "no-such-report")], /--baseline [^\n]*no-such-report does not exist; pass an earlier `vitrine eval --ablations` report folder/],
      [["--ablations", "--baseline", data], /--baseline [^\n]* has no seeds\.json \(ablation reports made before it lack one\); rerun that ablation with --out /],
      [["--ablations", "--baseline", "package.json"], /--baseline package\.json is not an ablation seeds\.json/],
    ];
    try {
      for (const [flags, msg] of cases) {
        errors.length = 0;
        expect(await evalCommand(["--data", data, ...flags]), flags.join(" ")).toBe(2);
        expect(errors.join("\n")).toMatch(msg);
      }
    } finally {
      spy.mockRestore();
    }
    expect(existsSync(join(data, "runs", "ablation-concat"))).toBe(false);
  });

  it("reports a failed variant with its log tail and keeps the other rows", async () => {
    // A CLI wrapper whose CDNS training crashes; everything else is the real CLI.
    const wrapper = join(dir, "crash-cdns.mjs");
    await writeFile(wrapper, `if (process.argv.includes("--cdns")) { console.error("simulated crash in the child"); process.exit(3); }\nawait import(${JSON.stringify(resolve("bin/vitrine.js"))});\n`);
    const lines: string[] = [];
    const base = { dataDir: data, outDir: join(dir, "failed-report"), preset: "tiny", steps: 6, finetuneSteps: 4, concurrency: 1, backend: "wasm", command: "test" } as const;
    const r = await runAblations({ ...base, seeds: [1], only: "text,cdns", trainCommand: { file: process.execPath, args: [wrapper] }, log: (m) => lines.push(m) });
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.run).toBe("cdns-s1");
    expect(r.failures[0]!.rows).toEqual(["+CDNS"]);
    expect(r.failures[0]!.message).toMatch(/training cdns-s1 failed \(exit 3\)[\s\S]*simulated crash in the child/);
    // Seed 003's tables keep text-only; seed 001's only row failed, so it has no table.
    // Fine-tuning ran for the run that trained: its "+ fine-tuned" rows sit under it.
    expect(r.groups.map((g) => g.variants.map((v) => v.name))).toEqual([
      [
        "lexical (BM25)",
        "ceiling: judged relevance, ties random (mean of 5 orders)",
        "ceiling: judged relevance, ties by training clicks",
        "text-only (1 seed)",
        "text-only + fine-tuned (4 steps) (1 seed)",
      ],
      ["text-only (1 seed)", "text-only + fine-tuned (4 steps) (1 seed)"],
    ]);
    expect(lines).toContain("text-s1: fine-tune 4 steps into runs/ablation-text-s1-ft4");
    const md = await readFile(join(dir, "failed-report", "report.md"), "utf8");
    expect(md).toMatch(/Failed \(\+CDNS\): training cdns-s1 failed \(exit 3\)/);
    expect(md).toMatch(/\| text-only \(1 seed\) \|/);

    // The fine-tuning is reused while its pre-training checkpoint is the one it started from, and
    // redone once that run's checkpoint is rewritten in place (a retrain with another config did that).
    const again = async () => {
      const log: string[] = [];
      await runAblations({ ...base, seeds: [1], only: "text", log: (m) => log.push(m) });
      return log;
    };
    expect(await again()).toContain("text-s1: reuse fine-tuning runs/ablation-text-s1-ft4");
    const source = r.plans.get("text-s1")!.dir;
    const manifest = join(source, (await readFile(join(source, "latest"), "utf8")).trim(), "manifest.json");
    const later = new Date(Date.now() + 5_000);
    await utimes(manifest, later, later);
    expect(await again()).toContain("text-s1: fine-tune 4 steps into runs/ablation-text-s1-ft4");
  }, 120_000);
});
