// A pre-training run's towers as a model under evaluation: the catalog's item vectors and every
// query the eval needs (test, tuning and logged training queries), encoded once with TF.js while
// the checkpoint is loaded, then served from memory to the retrieve engine. The catalog is also
// encoded with every title masked (only the image side reaches the vector), for the probe.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { prepareBackbone } from "../backbone/index.ts";
import type { ModelConfig } from "../model/config.ts";
import { createModel } from "../model/towers.ts";
import { Tokenizer } from "../../encoders/index.ts";
import { loadLatestCheckpoint, restoreInto } from "../train/checkpoint.ts";
import { encodeItemVectors, encodeQueryVectors } from "../train/encode-all.ts";
import type { PretrainConfig } from "../train/pretrain-config.ts";
import { TrainError } from "../errors.ts";
import type { EvalContext, ModelVectors } from "./eval-context.ts";

/** A run's vectors plus what its checkpoint says. */
export interface RunVectors extends ModelVectors {
  /** Steps of the checkpoint used. */
  step: number;
  /** Model config saved with it. */
  modelConfig: ModelConfig;
  /** Job config saved with it (absent in very old runs). */
  config?: Partial<PretrainConfig>;
  /** n × dim item vectors with every title masked ([PAD] only), catalog order; absent when not asked for. */
  maskedItems?: Float32Array;
}

/** What encodeRun computes besides the catalog and the queries. */
export interface EncodeRunOptions {
  /** Also encode the catalog with the title masked, for the probe (default true). */
  maskedTitle?: boolean;
}

/** Encode the catalog and the eval's queries with a run's newest checkpoint; null when it has none. */
export async function encodeRun(ctx: EvalContext, runDir: string, opts: EncodeRunOptions = {}): Promise<RunVectors | null> {
  const ckpt = await loadLatestCheckpoint<{ modelConfig: ModelConfig; config?: Partial<PretrainConfig> }>(runDir);
  if (!ckpt) return null;
  const tokenizer = Tokenizer.fromJSON(await readFile(join(runDir, "tokenizer.json"), "utf8"));
  // A run trained on a backbone's features is scored with them (cached by its training).
  await prepareBackbone(ctx.dataDir, ctx.data.items, { recorded: ckpt.state.modelConfig.backbone ?? null, grid: ctx.data.items.grid, what: `the run in ${runDir}` });
  const model = createModel(ckpt.state.modelConfig);
  const dim = ckpt.state.modelConfig.dim;
  try {
    await restoreInto(tf, ckpt, model.variables, null);
    const terms = [...new Set([...ctx.queries, ...ctx.tuning.map((t) => t.terms), ...ctx.logged.map((q) => q.terms)])];
    const flat = encodeQueryVectors(model, tokenizer, terms);
    const byTerms = new Map(terms.map((t, i) => [t, flat.subarray(i * dim, (i + 1) * dim)]));
    return {
      items: encodeItemVectors(model, tokenizer, ctx.data.items),
      dim,
      encode: async (ts) =>
        ts.map((t) => {
          const v = byTerms.get(t);
          if (!v) throw new TrainError("BAD_OPTION", `query "${t}" was not encoded with the run (eval asked for a query outside its set)`);
          return v;
        }),
      step: ckpt.step,
      modelConfig: ckpt.state.modelConfig,
      ...(ckpt.state.config ? { config: ckpt.state.config } : {}),
      ...((opts.maskedTitle ?? true) ? { maskedItems: encodeItemVectors(model, tokenizer, ctx.data.items, undefined, { maskTitle: true }) } : {}),
    };
  } finally {
    model.dispose();
  }
}
