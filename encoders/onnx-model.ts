// An exported model folder (query.onnx, item.onnx, tokenizer.json, model.json) opened with ONNX
// Runtime: the CUDA execution provider when it starts, the CPU one otherwise. Node only; used by
// `vitrine embed`, `vitrine publish` and the API's query encoder. No TF.js here.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type * as Ort from "onnxruntime-node";
import type { BackboneRecord } from "./backbone-spec.ts";
import { Tokenizer } from "./tokenizer.ts";

/** What model.json records that inference needs. */
export interface ModelCardLite {
  format: string;
  createdAt: string;
  dims: { dim: number; maxQueryLen: number; maxTitleLen: number; patches: number; patchSize: number; patchDim: number; padId: number };
  /** The image backbone item.onnx takes features of (absent or null: it takes thumbnail patches). */
  backbone?: BackboneRecord | null;
}

// Try CUDA only where an NVIDIA driver is loaded (or VITRINE_ORT_PROVIDER=cuda): elsewhere the
// attempt fails anyway, after printing a provider error on every session.
function wantCuda(): boolean {
  const p = process.env.VITRINE_ORT_PROVIDER;
  if (p) return p === "cuda";
  return existsSync("/proc/driver/nvidia/version");
}

let ortModule: Promise<typeof Ort> | null = null;

/** ONNX Runtime, loaded on first use: importing encoders/ must not load it on hash-only servers. */
export function loadOrt(): Promise<typeof Ort> {
  ortModule ??= import("onnxruntime-node");
  return ortModule;
}

/** Open an ONNX session, preferring CUDA when a GPU is present; returns the provider that started. */
export async function openSession(path: string): Promise<{ session: Ort.InferenceSession; provider: string }> {
  const ort = await loadOrt();
  if (wantCuda()) {
    try {
      return { session: await ort.InferenceSession.create(path, { executionProviders: ["cuda"] }), provider: "cuda" };
    } catch {
      // fall through to the CPU provider
    }
  }
  return { session: await ort.InferenceSession.create(path, { executionProviders: ["cpu"] }), provider: "cpu" };
}

/** Read an exported model folder's card and tokenizer. */
export async function readModelDir(dir: string): Promise<{ card: ModelCardLite; tokenizer: Tokenizer }> {
  const card = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as ModelCardLite;
  const tokenizer = Tokenizer.fromJSON(await readFile(join(dir, "tokenizer.json"), "utf8"));
  return { card, tokenizer };
}

/** Split a flat [b × dim] output into per-row vectors. */
export function rowsOf(flat: Float32Array, dim: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let o = 0; o < flat.length; o += dim) out.push(flat.slice(o, o + dim));
  return out;
}
