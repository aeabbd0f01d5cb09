// The text half shared by both graphs: [CLS] + token embeddings + positions + text modality,
// embedding LayerNorm, the encoder, and z = h_CLS + mean(real token states) (towers.ts).
import type { ModelConfig } from "../model/config.ts";
import type { OpContext } from "./graph-ops.ts";
import { encoder, expandToBatch, layerNorm, maskedMean, sliceAxis1 } from "./graph-ops.ts";

/** Variable names of one text side (the item tower's, or a separate query tower's). */
export interface TextSideNames {
  /** Position table [maxText, H]. */
  pos: string;
  /** Embedding LayerNorm prefix (`.g`, `.b`). */
  ln: string;
  /** Encoder prefix (`.layerN.*`, `.ln_out.*`). */
  encoder: string;
  /** Projection weight [H, dim]. */
  projW: string;
  /** Projection bias [dim]. */
  projB: string;
}

/** The item tower's text side (also the query tower when queryTower is "shared"). */
export const ITEM_TEXT: TextSideNames = { pos: "emb.pos", ln: "emb.ln", encoder: "item", projW: "proj.w", projB: "proj.b" };

/** A separate query tower's own text side (queryTower "separate"). */
export const QUERY_TEXT: TextSideNames = { pos: "query.pos", ln: "query.emb_ln", encoder: "query", projW: "query.proj.w", projB: "query.proj.b" };

/** What the token-side helpers produce. */
export interface TokenSide {
  /** [B,L+1,H] embeddings before the LayerNorm. */
  embedded: string;
  /** float32 [B,L]: 1 at real tokens, 0 at padding. */
  textMask: string;
  /** float32 [B,1] of ones (the [CLS] mask column). */
  ones: string;
}

/** tokens [B,L] (int) → [CLS]+token embeddings with positions and text modality, and masks. */
export function embedTokens(c: OpContext, cfg: ModelConfig, tokens: string, tokenType: "int32" | "int64", len: number, posName: string): TokenSide {
  const g = c.g;
  const h = cfg.hidden;
  const tok = g.op("Gather", [c.param("emb.token"), tokens], { axis: 0 }); // [B,L,H]
  const cls3 = c.derived("emb.cls[1,1,H]", () => ({ shape: [1, 1, h], values: c.weight("emb.cls").values }));
  const clsTok = expandToBatch(c, cls3, tokens, [1, h]);
  const seq = g.op("Concat", [clsTok, tok], { axis: 1 });
  const embedded = g.op("Add", [g.op("Add", [seq, c.rows(posName, 0, len + 1)]), c.rows("emb.modality", 0, 1)]);
  const isPad = g.op("Equal", [tokens, g.intScalar(cfg.padId, tokenType)]);
  const textMask = g.op("Cast", [g.op("Not", [isPad])], { to: 1 /* FLOAT */ });
  const one11 = c.derived("const.ones[1,1]", () => ({ shape: [1, 1], values: Float32Array.of(1) }));
  const ones = expandToBatch(c, one11, tokens, [1]);
  return { embedded, textMask, ones };
}

/** [CLS] state of states [B,L,H] → [B,H]. */
export function clsOf(c: OpContext, states: string, hidden: number): string {
  return c.g.op("Reshape", [sliceAxis1(c, states, 0, 1), c.g.ints([-1, hidden])]);
}

/** z = h_CLS + masked mean of the token states for a text-only sequence ([CLS] + L tokens). */
export function textZ(c: OpContext, cfg: ModelConfig, side: TextSideNames, t: TokenSide, len: number): { z: string; states: string } {
  const g = c.g;
  const x = layerNorm(c, t.embedded, `${side.ln}.g`, `${side.ln}.b`);
  const mask = g.op("Concat", [t.ones, t.textMask], { axis: 1 });
  const states = encoder(c, x, mask, side.encoder, cfg);
  const z = g.op("Add", [clsOf(c, states, cfg.hidden), maskedMean(c, sliceAxis1(c, states, 1, len + 1), t.textMask)]);
  return { z, states };
}
