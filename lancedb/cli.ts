// `vitrine publish` and `vitrine releases`: parse flags, run, print; return exit codes (the
// dispatcher in bin/ owns the process). 2 = usage error, 1 = a store error with its message.
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { createHashEncoder } from "../core/hash-encoder.ts";
import type { TextEmbedder } from "../core/encoder.ts";
import { formatGc, formatPublished, formatReleases } from "./cli-format.ts";
import { EDGE_FLAGS, edgePlanFromFlags, formatEdgePush, runEdgePush } from "./edge-cli.ts";
import { EdgePushError } from "./edge-kv-http.ts";
import { StoreError } from "./errors.ts";
import { gcReleases } from "./gc.ts";
import { publishRelease, type PublishOptions } from "./publish.ts";
import { publishTrainedModel, type OnnxLoaders } from "./publish-trained.ts";
import { activateRelease, listReleases, rollbackRelease } from "./release-ops.ts";

class UsageError extends Error {}

function intFlag(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got "${v}"`);
  return n;
}

/** Run `body`, mapping usage errors to exit 2 and store errors to exit 1 with their message. */
async function guarded(verb: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`vitrine ${verb}: ${(e as Error).message}\n(see vitrine ${verb} --help)`);
      return 2;
    }
    if (e instanceof StoreError || e instanceof EdgePushError) {
      console.error(`vitrine ${verb}: ${e.message} [${e.code}]`);
      return e instanceof EdgePushError && e.code === "BAD_OPTION" ? 2 : 1;
    }
    throw e;
  }
}

/** `--blend fit` (default: fit the vector weight on held-out clicks), `--blend 0.7` (fixed convex weight), `--blend rrf:0.5` (reciprocal-rank fusion). */
function parseBlendFlag(v: string | undefined): PublishOptions["blend"] | undefined {
  if (v === undefined || v === "fit") return undefined;
  const m = /^(?:(convex|rrf):)?([0-9]*\.?[0-9]+)$/.exec(v);
  const w = m ? Number(m[2]) : NaN;
  if (!m || !(w >= 0 && w <= 1)) {
    throw new UsageError(`--blend must be "fit", a vector weight in [0, 1] such as 0.7, or rrf:W / convex:W, got "${v}"`);
  }
  return { method: (m[1] ?? "convex") as "convex" | "rrf", weight: w };
}

/** Encoders `--encoder` can name: the lexical hash baseline, or the exported ONNX towers. */
function makeEncoder(name: string, dim: number | undefined, seed: number | undefined): TextEmbedder | "onnx" {
  if (name === "hash") return createHashEncoder({ ...(dim !== undefined ? { dim } : {}), ...(seed !== undefined ? { seed } : {}) });
  if (name === "onnx") return "onnx";
  throw new UsageError(`--encoder must be "hash" or "onnx", got "${name}"`);
}

// A model folder that cannot be snapshotted is the --model flag's fault.
function modelFlagLoaders(onnx: OnnxLoaders): OnnxLoaders {
  return {
    ...onnx,
    snapshotModel: (dataDir, modelDir) =>
      onnx.snapshotModel(dataDir, modelDir).catch((e: unknown) => {
        throw new UsageError(`--model ${(e as Error).message}`);
      }),
  };
}

/**
 * `vitrine publish --data DIR [--encoder hash] [--dim N] [--seed N] [--top-k 200] [--exact-threshold N] [--ann hnsw|pq] [--no-activate] [--keep N]
 *  [--edge [--release rNNN|active] [--edge-account ID] [--edge-namespace ID] [--edge-token T] [--edge-endpoint URL] [--edge-list-length N] [--edge-no-flip]]`
 * `onnx`: the encoders' loaders, needed only for --encoder onnx / --model.
 */
export async function publishCommand(argv: string[], onnx?: OnnxLoaders): Promise<number> {
  return guarded("publish", async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        data: { type: "string" },
        encoder: { type: "string", default: "hash" },
        model: { type: "string" },
        dim: { type: "string" },
        seed: { type: "string" },
        "top-k": { type: "string" },
        "exact-threshold": { type: "string" },
        ann: { type: "string" },
        "no-activate": { type: "boolean" },
        blend: { type: "string" },
        "no-lexical": { type: "boolean" },
        keep: { type: "string" },
        ...EDGE_FLAGS,
      },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.data) throw new UsageError("--data DIR is required (the data directory `vitrine import` wrote)");
    // Checked before publishing: missing Cloudflare credentials should fail now, not after the publish.
    const edge = edgePlanFromFlags(values, process.env);
    if (edge?.release) {
      // --edge --release: push an existing release, publish nothing.
      console.log(formatEdgePush(await runEdgePush(values.data, edge, null)));
      return 0;
    }
    const ann = values.ann === undefined ? undefined : values.ann === "hnsw" ? "ivf_hnsw_sq" : values.ann === "pq" ? "ivf_pq" : null;
    if (ann === null) throw new UsageError(`--ann must be "hnsw" or "pq", got "${values.ann}"`);
    const chosen = makeEncoder(values.model ? "onnx" : values.encoder, intFlag(values.dim, "dim", 2), intFlag(values.seed, "seed", 0));
    if (chosen === "onnx" && !onnx) throw new UsageError("--encoder onnx needs the ONNX encoders, which this caller did not provide (run it through the vitrine CLI)");
    const blend = parseBlendFlag(values.blend);
    const topK = intFlag(values["top-k"], "top-k", 1);
    if (topK !== undefined && topK > 10_000) throw new UsageError(`--top-k must be at most 10000, got ${topK}`);
    const exactThreshold = intFlag(values["exact-threshold"], "exact-threshold", 0);
    const keep = intFlag(values.keep, "keep", 0);

    const bar = new cliProgress.SingleBar(
      { format: " {release} {stage} [{bar}] {value}/{total}", stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let stage = "";
    const started = performance.now();
    const opts: Omit<PublishOptions, "encoder"> = {
      dataDir: values.data,
      ...(topK !== undefined ? { topK } : {}), ...(exactThreshold !== undefined ? { exactThreshold } : {}), ...(ann ? { ann } : {}),
      activate: !values["no-activate"],
      ...(blend ? { blend } : {}),
      ...(values["no-lexical"] ? { lexical: false } : {}),
      onProgress: (p) => {
        if (!stage) bar.start(Math.max(p.total, 1), p.done, { stage: p.stage, release: p.release });
        else if (p.stage !== stage) bar.setTotal(Math.max(p.total, 1));
        stage = p.stage;
        bar.update(p.done, { stage: p.stage, release: p.release });
      },
    };
    try {
      // Trained towers: items from `vitrine embed`, queries through the snapshot's query.onnx.
      const info =
        chosen === "onnx"
          ? await publishTrainedModel({ ...opts, onnx: modelFlagLoaders(onnx!), ...(values.model ? { modelDir: values.model } : {}) })
          : await publishRelease({ ...opts, encoder: chosen });
      bar.stop();
      console.log(formatPublished(info, (performance.now() - started) / 1000));
      if (edge) console.log(formatEdgePush(await runEdgePush(values.data, edge, info)));
      if (keep !== undefined) console.log(formatGc(await gcReleases(values.data, { keep })));
      return 0;
    } finally {
      bar.stop();
    }
  });
}

/** `vitrine releases [list | activate rNNN | rollback | gc --keep N] --data DIR` */
export async function releasesCommand(argv: string[]): Promise<number> {
  return guarded("releases", async () => {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { data: { type: "string" }, keep: { type: "string" } } });
    const [action = "list", ...rest] = positionals;
    if (!values.data) throw new UsageError("--data DIR is required (the data directory releases were published in)");
    const dir = values.data;
    const noMore = (n: number) => {
      if (rest.length > n) throw new UsageError(`unexpected argument "${rest[n]}"`);
    };
    if (values.keep !== undefined && action !== "gc") throw new UsageError("--keep applies to `releases gc` only");
    switch (action) {
      case "list":
        noMore(0);
        console.log(formatReleases(await listReleases(dir)));
        return 0;
      case "activate": {
        const id = rest[0];
        if (!id || !/^r\d{3,}$/.test(id)) throw new UsageError(`activate needs a release id like r003${id ? `, got "${id}"` : ""}`);
        noMore(1);
        const r = await activateRelease(dir, id);
        console.log(`active: ${r.id}`);
        return 0;
      }
      case "rollback": {
        noMore(0);
        const r = await rollbackRelease(dir);
        console.log(`active: ${r.id} (rolled back)`);
        return 0;
      }
      case "gc": {
        noMore(0);
        const keep = intFlag(values.keep, "keep", 0);
        if (keep === undefined) throw new UsageError("gc needs --keep N (complete releases to keep besides the active one)");
        console.log(formatGc(await gcReleases(dir, { keep })));
        return 0;
      }
      default:
        throw new UsageError(`unknown action "${action}"; use list, activate rNNN, rollback or gc --keep N`);
    }
  });
}
