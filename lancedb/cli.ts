// `vitrine publish` and `vitrine releases`: run and print (a switch through switchRelease, so the edge follows); flags and help come from the verbs'
// tables (core/cli/verbs/publish.ts, releases.ts), and errors exit by their kind through runVerb
// (a usage error 2, a missing release 4, a lost publish race 5: core/errors.ts EXIT_CODES).
import cliProgress from "cli-progress";
import { runVerb, UsageError, type ArgsOf } from "../core/cli/index.ts";
import { PUBLISH, RELEASES } from "../core/cli/verbs/index.ts";
import { BLEND_SPEC_HELP, createHashEncoder, parseBlendSpec, type TextEmbedder } from "../core/index.ts";
import { formatGc, formatPublished, formatReleases, formatSwitch } from "./cli-format.ts";
import { edgePlanFromFlags, edgeProgressBar, formatEdgePush, runEdgePush } from "./edge-cli.ts";
import { edgeKvFromFlags } from "./edge-credentials.ts";
import { gcReleases } from "./gc.ts";
import { publishRelease, type PublishOptions } from "./publish.ts";
import { publishTrainedModel, type OnnxLoaders } from "./publish-trained.ts";
import { listReleases } from "./release-ops.ts";
import { edgeForPublish, edgeToFollow, switchRelease } from "./release-switch.ts";

/** `--blend fit` (default: fit the vector weight on held-out clicks), `--blend 0.7` (fixed convex weight), `--blend rrf:0.5` (reciprocal-rank fusion). */
function parseBlendFlag(v: string): PublishOptions["blend"] | undefined {
  if (v === "fit") return undefined;
  const blend = parseBlendSpec(v);
  if (!blend) throw new UsageError("BAD_FLAG", `--blend must be "fit", ${BLEND_SPEC_HELP}, got "${v}"`);
  return blend;
}

/** Encoders `--encoder` can name: the lexical hash baseline, or the exported ONNX towers. */
function makeEncoder(name: "hash" | "onnx", dim: number | undefined, seed: number | undefined): TextEmbedder | "onnx" {
  if (name === "onnx") return "onnx";
  return createHashEncoder({ ...(dim !== undefined ? { dim } : {}), ...(seed !== undefined ? { seed } : {}) });
}

// A model folder that cannot be snapshotted is the --model flag's fault.
function modelFlagLoaders(onnx: OnnxLoaders): OnnxLoaders {
  return {
    ...onnx,
    snapshotModel: (dataDir, modelDir) =>
      onnx.snapshotModel(dataDir, modelDir).catch((e: unknown) => {
        throw new UsageError("BAD_FLAG", `--model ${(e as Error).message}`, { cause: e });
      }),
  };
}

/**
 * `vitrine publish --data DIR [...]` (flags: core/cli/verbs/publish.ts).
 * `onnx`: the encoders' loaders, needed only for --encoder onnx / --model.
 */
export function publishCommand(argv: string[], onnx?: OnnxLoaders): Promise<number> {
  return runVerb(PUBLISH, argv, ({ values }) => runPublish(values, onnx), { env: process.env });
}

async function runPublish(values: ArgsOf<typeof PUBLISH>["values"], onnx: OnnxLoaders | undefined): Promise<number> {
  if (values.edge && values["no-edge"]) throw new UsageError("BAD_FLAG", "--edge and --no-edge contradict each other; pass one");
  // Checked before publishing: missing Cloudflare credentials should fail now, not after the publish.
  let edge = edgePlanFromFlags(values, process.env);
  if (!edge) {
    // A data directory with an edge: the edge follows an activating publish (credentials from the
    // environment), or the publish is refused before it starts.
    const want = values["no-edge"] ? false : undefined;
    const kv = await edgeForPublish(values.data, want === false ? null : edgeKvFromFlags({}, process.env), want, !values["no-activate"], "pass --no-edge");
    if (kv) edge = { release: null, writer: kv };
  }
  // --keep collects releases afterwards, their KV keys too: decided now as well, not after publishing.
  const gcKv =
    values.keep === undefined
      ? null
      : await edgeToFollow(values.data, { kv: edge?.writer ?? edgeKvFromFlags({}, process.env), skip: values["no-edge"], skipHint: "pass --no-edge" }, "collecting releases (--keep)");
  const gcEdge = { kv: gcKv, skip: gcKv === null, skipHint: "" };
  if (edge?.release) {
    // --edge --release: push an existing release, publish nothing.
    console.log(formatEdgePush(await runEdgePush(values.data, edge, null)));
    return 0;
  }
  const ann = values.ann === undefined ? undefined : values.ann === "hnsw" ? "ivf_hnsw_sq" : "ivf_pq";
  const chosen = makeEncoder(values.model ? "onnx" : values.encoder, values.dim, values.seed);
  if (chosen === "onnx" && !onnx) throw new UsageError("BAD_FLAG", "--encoder onnx needs the ONNX encoders, which this caller did not provide (run it through the vitrine CLI)");
  const blend = parseBlendFlag(values.blend);
  const topK = values["top-k"];
  const exactThreshold = values["exact-threshold"];
  const keep = values.keep;

  const bar = new cliProgress.SingleBar({ format: " {release} {stage} [{bar}] {value}/{total}", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let stage = "";
  const started = performance.now();
  const opts: Omit<PublishOptions, "encoder"> = {
    dataDir: values.data,
    ...(topK !== undefined ? { topK } : {}),
    ...(exactThreshold !== undefined ? { exactThreshold } : {}),
    ...(ann ? { ann } : {}),
    activate: !values["no-activate"],
    waitForWriterMs: (values.wait ?? 0) * 1000,
    ...(blend ? { blend } : {}),
    ...(values["no-lexical"] ? { lexical: false } : {}),
    ...(values["no-prior"] ? { prior: false } : {}),
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
    if (keep !== undefined) console.log(formatGc(await gcReleases(values.data, { keep, edge: gcEdge })));
    return 0;
  } finally {
    bar.stop();
  }
}

/** `vitrine releases [list | activate rNNN | rollback | gc --keep N] --data DIR` (flags: core/cli/verbs/releases.ts). */
export function releasesCommand(argv: string[]): Promise<number> {
  return runVerb(
    RELEASES,
    argv,
    async ({ subverb, args, values }) => {
      const dir = values.data;
      // The edge follows when the credentials are given (or the data directory has one: then they are needed, or --no-edge).
      const edge = () => ({ kv: values["no-edge"] ? null : edgeKvFromFlags(values, process.env), skip: values["no-edge"], skipHint: "pass --no-edge" });
      switch (subverb) {
        case "list":
          console.log(formatReleases(await listReleases(dir)));
          return 0;
        case "activate":
        case "rollback": {
          const bar = edgeProgressBar();
          try {
            const r = await switchRelease({ dataDir: dir, action: subverb === "activate" ? { activate: args[0]! } : { rollback: true }, edge: edge(), onEdgeProgress: bar.onProgress });
            bar.stop();
            console.log(formatSwitch(r, subverb === "rollback"));
          } finally {
            bar.stop();
          }
          return 0;
        }
        case "gc": {
          if (values.keep === undefined) throw new UsageError("MISSING_FLAG", "gc needs --keep N (complete releases to keep besides the active one)");
          console.log(formatGc(await gcReleases(dir, { keep: values.keep, edge: edge() })));
          return 0;
        }
      }
    },
    { env: process.env },
  );
}
