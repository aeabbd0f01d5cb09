// The query and item towers (DESIGN.md §4, seeds 000 / 002 / 003) as plain tf.Variables + ops.
//
// Item sequence (fusion): [CLS] title(Lt) [SEP] patch(P), with token + position + modality
// (text 0, image 1) embeddings; patch tokens use their own grid-position table so their positions
// do not move with the title's padded length. Image positions of text-only items (imageMask 0) are
// (and [SEP]) masked out of attention (−1e9 → exactly zero weight), so their vector does not
// depend on patches. With globalToken a whole-image token follows the patches: one projection of
// every patch's CNN features together (its own position row, image modality), since no single
// patch sees the garment's shape.
//
// Output (fusion, modal adaptation after MAKE):
//   t = mean of title token states (real tokens), v = mean of image token states,
//   g = sigmoid(w_g·[t; v] + b_g) per item (0.5 fixed when modalGate is off), g ← 1 for text-only items,
//   z = h_CLS + g·t + (1−g)·v,   vector = l2norm(z·W_p + b_p).
// A query (text only) gets z = h_CLS + t through the same (shared) or its own (separate) encoder
// and projection, so a text-only item and a query with its title agree when the towers are shared.
// text: z = h_CLS + t over [CLS] title. concat: u = mean(image features)·W_img + b (image side alone),
//   vector = l2norm([z_text; imageMask·u]·W_c + b_c). imageVector = l2norm(u) for fusion and concat (QIM2).
import * as tf from "@tensorflow/tfjs";
import { dense, embeddingLookup, layerNorm } from "../tf/fast-ops.ts";
import type { ModelConfig } from "./config.ts";
import { numImageTokens, numPatches, validateConfig } from "./config.ts";
import { createEncoder, createLayerNorm, runEncoder } from "./encoder.ts";
import type { Dropout, EncoderParams } from "./encoder.ts";
import { createHeads, mlmLogits, mpmPredict } from "./heads.ts";
import type { HeadParams } from "./heads.ts";
import { ParamStore, NORMAL, ZEROS } from "./params.ts";
import { createPatchParams, encodePatchInputs } from "./patch-encoder.ts";
import type { PatchParams } from "./patch-encoder.ts";

/** What encodeItem takes. */
export interface ItemInput {
  /** int32 [B,Lt] title token ids, padded with padId (the model adds [CLS] and [SEP]). */
  titleTokens: tf.Tensor2D;
  /** float32 [B,P,patchSize²·3] patch pixels, HWC per patch; with a backbone, its features [B,tokens,C]. */
  patches: tf.Tensor3D;
  /** float32 [B]: 1 when the item has an image, 0 for text-only items. */
  imageMask: tf.Tensor1D;
  /** float32 [B,P]: 1 where a patch is replaced by the learned [MASK] patch (MPM). */
  maskedPatches?: tf.Tensor2D;
  /** Apply dropout (default false). */
  training?: boolean;
}

/** What encodeItem returns (all new tensors owned by the caller). */
export interface ItemOutput {
  /** [B,dim] L2-normalised item vector. */
  vector: tf.Tensor2D;
  /** [B,Lt+1,H] states of [CLS] + title tokens (title token t at position t+1). */
  tokenStates: tf.Tensor3D;
  /** [B,P,H] transformer states at patch positions (fusion only, else null). */
  patchStates: tf.Tensor3D | null;
  /** [B,P,H] CNN patch features before the transformer: MPM targets (null for text). */
  patchFeatures: tf.Tensor3D | null;
  /** [B] modal gate g (weight of text; 1 for text-only items), null without the gate. */
  gate: tf.Tensor1D | null;
  /** [B,dim] L2-normalised vector of the image side alone, for QIM2 (null for text). */
  imageVector: tf.Tensor2D | null;
}

/** What encodeQueryStates returns. */
export interface QueryOutput {
  /** [B,dim] L2-normalised query vector. */
  vector: tf.Tensor2D;
  /** [B,Lq+1,H] states of [CLS] + query tokens (for MLM on queries). */
  tokenStates: tf.Tensor3D;
}

/** The two-tower model. */
export interface Model {
  /** The validated config it was built from. */
  readonly config: ModelConfig;
  /** Every variable under a stable name (checkpoints, export). */
  readonly variables: Map<string, tf.Variable>;
  /** Dropout calls so far: part of the RNG state a resumed job restores. */
  dropoutCalls: number;
  /** int32 [B,Lq] query tokens → [B,dim] L2-normalised vectors. */
  encodeQuery(tokens: tf.Tensor2D, opts?: { training?: boolean }): tf.Tensor2D;
  /** Query vector and token states. */
  encodeQueryStates(tokens: tf.Tensor2D, opts?: { training?: boolean }): QueryOutput;
  /** Item vectors and the states the pre-training heads need. */
  encodeItem(input: ItemInput): ItemOutput;
  /** states [B,L,H] → MLM logits [B,L,V] (tied to the token embedding). */
  mlmLogits(states: tf.Tensor3D): tf.Tensor3D;
  /** patch states [B,P,H] → predicted patch features [B,P,H] (fusion only). */
  mpmPredict(states: tf.Tensor3D): tf.Tensor3D;
  /** Dispose every variable. */
  dispose(): void;
}

interface TextSide {
  pos: tf.Variable;
  ln: [tf.Variable, tf.Variable];
  encoder: EncoderParams;
  proj: [tf.Variable, tf.Variable];
}

function l2norm(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-12)));
}

function maskedMean(states: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const m = tf.expandDims(mask, 2);
  return tf.div(tf.sum(tf.mul(states, m), 1), tf.maximum(tf.sum(m, 1), 1)) as tf.Tensor2D;
}

/**
 * The fused image summary the modal gate mixes with the text, from the image tokens' states
 * [B,P(+1),H]: their plain mean (the whole-image token one of P + 1), or with globalWeight w,
 * (1 − w)·mean(patches) + w·token, so the token that sees the whole garment is not diluted to
 * 1/17 by the 16 local patches. (The pooled CNN image vector, concat's and qim2's, stays a mean.)
 */
function imageSummary(tokens: tf.Tensor3D, patches: number, w: number | null): tf.Tensor2D {
  // validateConfig allows a weight only with the token: w set means P + 1 tokens.
  if (w === null) return tf.mean(tokens, 1) as tf.Tensor2D;
  const [b, , h] = tokens.shape;
  const patchMean = tf.mean(tf.slice(tokens, [0, 0, 0], [-1, patches, -1]), 1);
  const token = tf.reshape(tf.slice(tokens, [0, patches, 0], [-1, 1, -1]), [b, h]);
  return tf.add(tf.mul(patchMean, 1 - w), tf.mul(token, w)) as tf.Tensor2D;
}

function rows(table: tf.Variable, start: number, count: number): tf.Tensor2D {
  return tf.slice(table as tf.Tensor as tf.Tensor2D, [start, 0], [count, -1]);
}

/** Build a model with weights drawn from config.seed. */
export function createModel(config: ModelConfig): Model {
  const cfg = validateConfig({ ...config, cnnChannels: [...config.cnnChannels] });
  const h = cfg.hidden;
  const P = numPatches(cfg);
  const store = new ParamStore(cfg.seed);
  const maxText = Math.max(cfg.maxTitleLen, cfg.maxQueryLen) + 2;
  const token = store.add("emb.token", [cfg.vocabSize, h], NORMAL);
  const modality = store.add("emb.modality", [2, h], NORMAL);
  const cls = store.add("emb.cls", [1, h], NORMAL);
  const item: TextSide = {
    pos: store.add("emb.pos", [maxText, h], NORMAL),
    ln: createLayerNorm(store, "emb.ln", h),
    encoder: createEncoder(store, "item", cfg),
    proj: [store.add("proj.w", [h, cfg.dim], NORMAL), store.add("proj.b", [cfg.dim], ZEROS)],
  };
  const query: TextSide =
    cfg.queryTower === "shared"
      ? item
      : {
          pos: store.add("query.pos", [cfg.maxQueryLen + 1, h], NORMAL),
          ln: createLayerNorm(store, "query.emb_ln", h),
          encoder: createEncoder(store, "query", cfg),
          proj: [store.add("query.proj.w", [h, cfg.dim], NORMAL), store.add("query.proj.b", [cfg.dim], ZEROS)],
        };
  const hasImage = cfg.fusion !== "text";
  const patch: PatchParams | null = hasImage ? createPatchParams(store, cfg) : null;
  const imageProj = hasImage ? [store.add("image.proj.w", [h, cfg.dim], NORMAL), store.add("image.proj.b", [cfg.dim], ZEROS)] : null;
  const fusion = cfg.fusion === "fusion";
  const sep = fusion ? store.add("emb.sep", [1, h], NORMAL) : null;
  const patchPos = fusion ? store.add("emb.patch_pos", [P, h], NORMAL) : null;
  const imageTokens = numImageTokens(cfg);
  const gw = cfg.globalWeight ?? null;
  const maskPatch = fusion ? store.add("emb.mask_patch", [1, h], NORMAL) : null;
  const gate = fusion && cfg.modalGate ? [store.add("gate.w", [2 * h, 1], NORMAL), store.add("gate.b", [1], ZEROS)] : null;
  const concatProj = cfg.fusion === "concat" ? [store.add("concat.proj.w", [h + cfg.dim, cfg.dim], NORMAL), store.add("concat.proj.b", [cfg.dim], ZEROS)] : null;
  const heads: HeadParams = createHeads(store, cfg);
  // Drawn last, so a model without the whole-image token draws the weights it always drew.
  const globalPos = fusion && cfg.globalToken ? store.add("emb.global_pos", [1, h], NORMAL) : null;
  if (!fusion) for (const name of ["mpm.w1", "mpm.b1", "mpm.w2", "mpm.b2"]) store.variables.get(name)?.dispose(), store.variables.delete(name);

  const model: Model = {
    config: cfg,
    variables: store.variables,
    dropoutCalls: 0,
    encodeQuery: (tokens, opts) => {
      const out = model.encodeQueryStates(tokens, opts);
      out.tokenStates.dispose();
      return out.vector;
    },
    encodeQueryStates: (tokens, opts = {}) => {
      checkTokens(tokens, cfg.maxQueryLen, "query tokens");
      const drop = dropout(opts.training === true);
      return tf.tidy(() => {
        const textMask = tf.cast(tf.notEqual(tokens, cfg.padId), "float32") as tf.Tensor2D;
        const x = drop(layerNorm(textEmbed(tokens, query.pos), query.ln[0] as tf.Tensor1D, query.ln[1] as tf.Tensor1D)) as tf.Tensor3D;
        const mask = tf.concat([tf.ones([tokens.shape[0], 1]), textMask], 1) as tf.Tensor2D;
        const states = runEncoder(query.encoder, cfg, x, mask, drop);
        const z = tf.add(clsOf(states), maskedMean(tf.slice(states, [0, 1, 0], [-1, -1, -1]), textMask));
        const vector = l2norm(dense(z, query.proj[0] as tf.Tensor2D, query.proj[1] as tf.Tensor1D) as tf.Tensor2D);
        return { vector, tokenStates: states };
      });
    },
    encodeItem: (input) => {
      const { titleTokens, patches, imageMask } = input;
      checkTokens(titleTokens, cfg.maxTitleLen, "titleTokens");
      const [b, lt] = titleTokens.shape;
      if (imageMask.shape[0] !== b || patches.shape[0] !== b) throw new RangeError("encodeItem: patches, imageMask and titleTokens need the same batch");
      const drop = dropout(input.training === true);
      return tf.tidy(() => {
        const textMask = tf.cast(tf.notEqual(titleTokens, cfg.padId), "float32") as tf.Tensor2D;
        const text = textEmbed(titleTokens, item.pos);
        const lnIn = (x: tf.Tensor) => drop(layerNorm(x, item.ln[0] as tf.Tensor1D, item.ln[1] as tf.Tensor1D)) as tf.Tensor3D;
        const one = tf.ones([b, 1]);
        const enc = patch ? encodePatchInputs(patch, cfg, patches, input.maskedPatches) : null;
        const feats = enc?.feats ?? null;
        let imagePre: tf.Tensor2D | null = null;
        if (feats && imageProj) {
          const all = enc?.global ? tf.concat([feats, enc.global], 1) : feats;
          imagePre = dense(tf.mean(all, 1), imageProj[0] as tf.Tensor2D, imageProj[1] as tf.Tensor1D) as tf.Tensor2D;
        }
        const imageVector = imagePre ? l2norm(imagePre) : null;
        const im = tf.reshape(imageMask, [b, 1]);
        if (!fusion || !feats || !sep || !patchPos || !maskPatch) {
          const states = runEncoder(item.encoder, cfg, lnIn(text), tf.concat([one, textMask], 1) as tf.Tensor2D, drop);
          const zText = tf.add(clsOf(states), maskedMean(tf.slice(states, [0, 1, 0], [-1, -1, -1]), textMask)) as tf.Tensor2D;
          let vector: tf.Tensor2D;
          if (concatProj && imagePre) {
            const joined = tf.concat([zText, tf.mul(imagePre, im)], 1) as tf.Tensor2D;
            vector = l2norm(dense(joined, concatProj[0] as tf.Tensor2D, concatProj[1] as tf.Tensor1D) as tf.Tensor2D);
          } else {
            vector = l2norm(dense(zText, item.proj[0] as tf.Tensor2D, item.proj[1] as tf.Tensor1D) as tf.Tensor2D);
          }
          return { vector, tokenStates: states, patchStates: null, patchFeatures: feats, gate: null, imageVector } as unknown as tf.TensorContainer;
        }
        let patchIn: tf.Tensor = feats;
        if (input.maskedPatches) {
          const m = tf.expandDims(input.maskedPatches, 2);
          patchIn = tf.add(tf.mul(feats, tf.sub(1, m)), tf.mul(m, maskPatch));
        }
        const mod = (i: number) => rows(modality, i, 1);
        const sepTok = tf.tile(tf.reshape(tf.add(tf.add(sep, rows(item.pos, lt + 1, 1)), mod(0)), [1, 1, h]), [b, 1, 1]);
        const patchTok = tf.add(tf.add(patchIn, patchPos), mod(1));
        const imageSeq = enc?.global && globalPos ? [patchTok, tf.add(tf.add(enc.global, globalPos), mod(1))] : [patchTok];
        const seq = lnIn(tf.concat([text, sepTok, ...imageSeq], 1));
        // [SEP] too is masked for text-only items: their sequence then is exactly a query's.
        const mask = tf.concat([one, textMask, im, tf.tile(im, [1, imageTokens])], 1) as tf.Tensor2D;
        const states = runEncoder(item.encoder, cfg, seq, mask, drop);
        const tokenStates = tf.slice(states, [0, 0, 0], [-1, lt + 1, -1]) as tf.Tensor3D;
        const patchStates = tf.slice(states, [0, lt + 2, 0], [-1, P, -1]) as tf.Tensor3D;
        const t = maskedMean(tf.slice(tokenStates, [0, 1, 0], [-1, -1, -1]), textMask);
        const v = imageSummary(tf.slice(states, [0, lt + 2, 0], [-1, imageTokens, -1]) as tf.Tensor3D, P, gw);
        const g = gate ? tf.sigmoid(dense(tf.concat([t, v], 1), gate[0] as tf.Tensor2D, gate[1] as tf.Tensor1D)) : tf.fill([b, 1], 0.5);
        const gEff = tf.sub(1, tf.mul(im, tf.sub(1, g))); // text-only items: exactly 1
        const z = tf.add(clsOf(states), tf.add(tf.mul(gEff, t), tf.mul(tf.sub(1, gEff), v))) as tf.Tensor2D;
        const vector = l2norm(dense(z, item.proj[0] as tf.Tensor2D, item.proj[1] as tf.Tensor1D) as tf.Tensor2D);
        const gateOut = gate ? tf.reshape(gEff, [b]) : null;
        return { vector, tokenStates, patchStates, patchFeatures: feats, gate: gateOut, imageVector } as unknown as tf.TensorContainer;
      }) as unknown as ItemOutput;
    },
    mlmLogits: (states) => mlmLogits(heads, token, states),
    mpmPredict: (states) => {
      if (!fusion) throw new RangeError(`mpmPredict needs fusion "fusion" (patch states); this model is "${cfg.fusion}"`);
      return mpmPredict(heads, states);
    },
    dispose: () => store.dispose(),
  };

  // [CLS] + token embeddings + positions + text modality: [B,L+1,H] (before the embedding LN).
  function textEmbed(tokens: tf.Tensor2D, pos: tf.Variable): tf.Tensor3D {
    const [b, l] = tokens.shape;
    const tok = embeddingLookup(token as tf.Tensor as tf.Tensor2D, tokens);
    const clsTok = tf.tile(tf.reshape(cls, [1, 1, h]), [b, 1, 1]);
    const seq = tf.concat([clsTok, tok], 1);
    return tf.add(tf.add(seq, rows(pos, 0, l + 1)), rows(modality, 0, 1)) as tf.Tensor3D;
  }

  function dropout(training: boolean): Dropout {
    if (!training || cfg.dropout === 0) return (x) => x;
    return (x) => tf.dropout(x, cfg.dropout, undefined, cfg.seed * 1_000_003 + model.dropoutCalls++);
  }

  return model;
}

function clsOf(states: tf.Tensor3D): tf.Tensor2D {
  return tf.reshape(tf.slice(states, [0, 0, 0], [-1, 1, -1]), [states.shape[0], states.shape[2]]);
}

function checkTokens(tokens: tf.Tensor2D, max: number, what: string): void {
  if (tokens.dtype !== "int32" || tokens.rank !== 2) throw new RangeError(`${what} must be int32 [B,L], got ${tokens.dtype} rank ${tokens.rank}`);
  if (tokens.shape[1] > max) throw new RangeError(`${what} length ${tokens.shape[1]} exceeds the configured maximum ${max}`);
}
