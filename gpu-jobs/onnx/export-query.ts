// The query encoder as an ONNX graph: tokens [batch, maxQueryLen] → vector [batch, dim],
// mirroring towers.ts encodeQuery (shared tower: the item tower's text side; separate: its own).
import type { ModelConfig } from "../model/config.ts";
import { GraphBuilder } from "./graph-builder.ts";
import { dense, l2norm, OpContext } from "./graph-ops.ts";
import type { WeightMap } from "./graph-ops.ts";
import { embedTokens, ITEM_TEXT, QUERY_TEXT, textZ } from "./text-side.ts";

/** Options of both graph exports. */
export interface GraphExportOptions {
  /** Element type of the token inputs (default "int32": Int32Array feeds, as TF.js takes). */
  tokenType?: "int32" | "int64";
  /** Query graph only: a weight (d × d) applied after the tower, then L2 again (the fine-tuned head). */
  queryHead?: string;
}

/** Build the query graph from a model config and its weights; returns ModelProto bytes. */
export function buildQueryGraph(cfg: ModelConfig, weights: WeightMap, opts: GraphExportOptions = {}): Uint8Array {
  const tokenType = opts.tokenType ?? "int32";
  const c = new OpContext(new GraphBuilder("vitrine_query"), weights);
  const len = cfg.maxQueryLen;
  const tokens = c.g.input({ name: "tokens", type: tokenType, dims: ["batch", len] });
  const side = cfg.queryTower === "shared" ? ITEM_TEXT : QUERY_TEXT;
  const t = embedTokens(c, cfg, tokens, tokenType, len, side.pos);
  const { z } = textZ(c, cfg, side, t, len);
  const tower = l2norm(c, dense(c, z, side.projW, side.projB));
  const vector = opts.queryHead ? l2norm(c, dense(c, tower, opts.queryHead)) : tower;
  c.g.output(vector, { type: "float32", dims: ["batch", cfg.dim] }, "vector");
  return c.g.toBytes(`vitrine query encoder (${cfg.queryTower} tower, hidden ${cfg.hidden}, dim ${cfg.dim})`);
}
