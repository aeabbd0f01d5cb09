// The ablation rows of `vitrine eval --ablations` (DESIGN §8): seed 003's item-tower table,
// seed 001's negatives / MPM table and issue #17's vision-side table. Rows that train the same config share one run.
import { UsageError } from "../../core/cli/index.ts";
import { resolvePretrainConfig, type PretrainOverrides } from "../train/pretrain-config.ts";
import { sameTraining } from "./run-lookup.ts";

/** One training configuration: the `vitrine pretrain` flags and the overrides they resolve to. */
export interface AblationRun {
  /** Short id; the run folder is `runs/ablation-<id>`. */
  id: string;
  /** Flags given to `vitrine pretrain` on top of --data/--preset/--steps/--seed. */
  flags: string[];
  /** The same choice as config overrides, for matching saved checkpoints. */
  overrides: PretrainOverrides;
}

/** One table row. */
export interface AblationRow {
  /** Name accepted by --only. */
  id: string;
  /** Other names --only accepts for this row. */
  aliases: string[];
  /** Row label in the tables. */
  label: string;
  /** Which table the row belongs to. */
  table: keyof typeof ABLATION_TABLES;
  /** The run it reads. */
  run: AblationRun;
}

/** Titles of the two tables. */
export const ABLATION_TABLES = {
  seed003: "Item tower (seed 003): text-only, concat, fusion without / with stage 1",
  seed001: "Negatives and MPM (seed 001): in-batch / +MBNS / +CDNS / both; regression vs contrastive MPM",
  vision: "Vision side (issue #17): patch grid, patch-CNN width and depth, stage 1 align vs classify",
} as const;

const run = (id: string, flags: string[], overrides: PretrainOverrides): AblationRun => ({ id, flags, overrides });

// The default config (fusion without stage 1, contrastive MPM, the default negatives) is one run
// seen from several rows; seed 003's two stages are the default plus 20% of the steps in stage 1.
// The negatives rows name both choices, so each row trains what its label says whatever the defaults.
const DEFAULT = run("fusion-no-stage1", [], {});
const TWO_STAGES = run("fusion", ["--stage1-fraction", "0.2"], { stage1Fraction: 0.2 });
const TEXT = run("text", ["--fusion", "text"], { fusion: "text" });
const CONCAT = run("concat", ["--fusion", "concat"], { fusion: "concat" });
const negatives = (id: string, mbns: boolean, cdns: boolean): AblationRun =>
  run(id, [mbns ? "--mbns" : "--no-mbns", cdns ? "--cdns" : "--no-cdns"], { mbns: { enabled: mbns }, cdns: { enabled: cdns } });
const IN_BATCH = negatives("in-batch", false, false);
const MBNS = negatives("mbns", true, false);
const CDNS = negatives("cdns", false, true);
const BOTH = negatives("mbns-cdns", true, true);
const REGRESSION = run("mpm-regression", ["--mpm", "regression"], { mpm: "regression" });
// Issue #17's vision side: one change each against the default (the cpu preset's 1×1 grid, its CNN, no stage 1).
const GRID8 = run("fusion-grid8", ["--patch-grid", "8"], { patchGrid: 8 });
// One patch: the CNN sees the whole thumbnail, so its projection sees the garment's shape (a 4×4 grid's patches each see a sixteenth).
const GRID1 = run("fusion-grid1", ["--patch-grid", "1"], { patchGrid: 1 });
const GRID2 = run("fusion-grid2", ["--patch-grid", "2"], { patchGrid: 2 });
// The cpu preset's grid before the 1×1 one (the import's 4×4 cut): 16 patches of 16×16 pixels.
const GRID4 = run("fusion-grid4", ["--patch-grid", "4"], { patchGrid: 4 });
// The 4×4 patches and a whole-image token: local colour and pattern (the demo) and global shape (fashion-mnist) together.
const GLOBAL = run("fusion-global-token", ["--patch-grid", "4", "--global-token"], { patchGrid: 4, globalToken: true });
// The same token weighted half the image summary, not 1/17: the whole-garment view is not outvoted by 16 local patches.
const GLOBAL_HALF = run("fusion-global-half", ["--patch-grid", "4", "--global-token", "--global-weight", "0.5"], { patchGrid: 4, globalToken: true, globalWeight: 0.5 });
const CNN_WIDE = run("fusion-cnn-wide", ["--cnn-channels", "32,64"], { cnnChannels: [32, 64] });
const CNN_DEEP = run("fusion-cnn-deep", ["--cnn-channels", "16,32,64"], { cnnChannels: [16, 32, 64] });
const TITLE_DROPOUT = run("fusion-title-dropout", ["--title-dropout", "0.3"], { titleDropout: 0.3 });
// SimCLR on the item tower, title masked: beside matching (stage 2), or as stage 1 before it.
const IMAGE_CONTRAST = run("fusion-image-contrast", ["--image-contrast", "0.5"], { imageContrast: 0.5 });
// The whole thumbnail as one patch, with image contrast: SimCLR's own setting (one CNN over the whole image).
const GRID1_CONTRAST = run("fusion-grid1-image-contrast", ["--patch-grid", "1", "--image-contrast", "0.5"], { patchGrid: 1, imageContrast: 0.5 });
const STAGE1_CONTRAST = run("fusion-stage1-contrast", ["--stage1", "contrast", "--stage1-fraction", "0.2"], { stage1: "contrast", stage1Fraction: 0.2 });
const CLASSIFY = run("fusion-stage1-classify", ["--stage1", "classify", "--stage1-fraction", "0.2"], { stage1: "classify", stage1Fraction: 0.2 });

// Rows whose choices equal the defaults read the default run (trained once, not once per row):
// which rows those are follows the defaults.
const RUNS = [
  DEFAULT,
  TWO_STAGES,
  TEXT,
  CONCAT,
  IN_BATCH,
  MBNS,
  CDNS,
  BOTH,
  REGRESSION,
  GRID1,
  GRID2,
  GRID4,
  GRID8,
  GLOBAL,
  GLOBAL_HALF,
  CNN_WIDE,
  CNN_DEEP,
  CLASSIFY,
  TITLE_DROPOUT,
  IMAGE_CONTRAST,
  STAGE1_CONTRAST,
  GRID1_CONTRAST,
];
const canonical = (r: AblationRun): AblationRun => RUNS.find((o) => sameTraining(resolvePretrainConfig("cpu", o.overrides), resolvePretrainConfig("cpu", r.overrides)))!;

/** Every row, in table order. */
export const ABLATION_ROWS: readonly AblationRow[] = (
  [
    { id: "text", aliases: ["text-only"], label: "text-only", table: "seed003", run: TEXT },
    { id: "concat", aliases: [], label: "concat", table: "seed003", run: CONCAT },
    { id: "fusion-no-stage1", aliases: ["no-stage1"], label: "fusion, no stage 1", table: "seed003", run: DEFAULT },
    { id: "fusion", aliases: ["two-stages"], label: "fusion, two stages", table: "seed003", run: TWO_STAGES },
    { id: "in-batch", aliases: [], label: "in-batch only", table: "seed001", run: IN_BATCH },
    { id: "mbns", aliases: ["+mbns"], label: "+MBNS", table: "seed001", run: MBNS },
    { id: "cdns", aliases: ["+cdns"], label: "+CDNS", table: "seed001", run: CDNS },
    { id: "both", aliases: ["mbns-cdns"], label: "+MBNS +CDNS (both)", table: "seed001", run: BOTH },
    { id: "mpm-regression", aliases: ["regression"], label: "regression MPM (default negatives)", table: "seed001", run: REGRESSION },
    { id: "mpm-contrastive", aliases: ["contrastive"], label: "contrastive MPM (default negatives)", table: "seed001", run: DEFAULT },
    { id: "fusion-vision-default", aliases: [], label: "fusion: the preset's grid (cpu: 1×1) and CNN, no stage 1 (default)", table: "vision", run: DEFAULT },
    { id: "fusion-grid4", aliases: ["grid4"], label: "4×4 patch grid (the cpu preset's earlier default)", table: "vision", run: GRID4 },
    { id: "fusion-grid1", aliases: ["grid1"], label: "1×1 grid (the whole thumbnail, one patch)", table: "vision", run: GRID1 },
    { id: "fusion-grid2", aliases: ["grid2"], label: "2×2 patch grid", table: "vision", run: GRID2 },
    { id: "fusion-grid8", aliases: ["grid8"], label: "8×8 patch grid", table: "vision", run: GRID8 },
    { id: "fusion-global-token", aliases: ["global-token"], label: "4×4 grid + a whole-image token", table: "vision", run: GLOBAL },
    { id: "fusion-global-half", aliases: ["global-half"], label: "4×4 grid + a whole-image token weighted ½", table: "vision", run: GLOBAL_HALF },
    { id: "fusion-cnn-wide", aliases: ["cnn-wide"], label: "CNN 32,64 (wider)", table: "vision", run: CNN_WIDE },
    { id: "fusion-cnn-deep", aliases: ["cnn-deep"], label: "CNN 16,32,64 (3 layers)", table: "vision", run: CNN_DEEP },
    { id: "fusion-stage1-align", aliases: ["stage1-align"], label: "stage 1 align, 20% of steps", table: "vision", run: TWO_STAGES },
    { id: "fusion-stage1-classify", aliases: ["stage1-classify"], label: "stage 1 classify, 20% of steps", table: "vision", run: CLASSIFY },
    { id: "fusion-title-dropout", aliases: ["title-dropout"], label: "title dropout 0.3 (stage 2)", table: "vision", run: TITLE_DROPOUT },
    { id: "fusion-image-contrast", aliases: ["image-contrast"], label: "image–image contrast beside matching (weight 0.5)", table: "vision", run: IMAGE_CONTRAST },
    { id: "fusion-stage1-contrast", aliases: ["stage1-contrast"], label: "stage 1 image–image contrast, 20% of steps", table: "vision", run: STAGE1_CONTRAST },
    { id: "fusion-grid1-image-contrast", aliases: ["grid1-image-contrast"], label: "1×1 grid + image–image contrast (0.5)", table: "vision", run: GRID1_CONTRAST },
  ] as AblationRow[]
).map((r) => ({ ...r, run: canonical(r.run) }));

/** Every accepted --only name. */
export function ablationNames(): string[] {
  return ABLATION_ROWS.flatMap((r) => [r.id, ...r.aliases]);
}

/**
 * The rows `--only a,b` selects (all rows when `only` is undefined). Throws with the unknown name
 * and the accepted ones.
 */
export function selectAblationRows(only: string | undefined): AblationRow[] {
  if (only === undefined) return [...ABLATION_ROWS];
  const names = only
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError("BAD_FLAG", `--only needs at least one variant name (one of ${ablationNames().join(", ")})`);
  const picked = new Set<AblationRow>();
  for (const n of names) {
    const row = ABLATION_ROWS.find((r) => r.id === n || r.aliases.includes(n));
    if (!row) throw new UsageError("BAD_FLAG", `--only: unknown variant "${n}" (one of ${ablationNames().join(", ")})`);
    picked.add(row);
  }
  // Keep table order whatever order the names came in.
  return ABLATION_ROWS.filter((r) => picked.has(r));
}

/** The distinct runs behind some rows, in first-use order. */
export function uniqueRuns(rows: readonly AblationRow[]): AblationRun[] {
  return [...new Set(rows.map((r) => r.run))];
}
