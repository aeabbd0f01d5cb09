// A fine-tuning run (seed 000's head: Wq, Wi and item-ID embeddings over the frozen towers) applied
// to a pre-training run's vectors, as `vitrine export --finetune-dir` + `vitrine embed` would serve
// them: query l2(q·Wq), item l2(v·Wi + e[id]). Plain JS over the checkpoint's tensors: d is small.
// Title-masked item vectors (the probe's) get l2(v·Wi) with no ID embedding: an item's ID row is
// neither its title nor its image, and would let the probe read categories memorised from clicks.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TrainError } from "../errors.ts";
import { loadLatestCheckpoint } from "../train/checkpoint.ts";
import type { ModelVectors } from "./eval-context.ts";

function project(v: Float32Array, o: number, w: Float32Array, d: number, add: Float32Array | null, ao: number, out: Float32Array, oo: number): void {
  let norm = 0;
  for (let j = 0; j < d; j++) {
    let s = add ? add[ao + j]! : 0;
    for (let i = 0; i < d; i++) s += v[o + i]! * w[i * d + j]!;
    out[oo + j] = s;
    norm += s * s;
  }
  const inv = 1 / (Math.sqrt(norm) + 1e-12);
  for (let j = 0; j < d; j++) out[oo + j]! *= inv;
}

/** The fine-tuned model's vectors; `itemIds` are the eval's catalog rows (items fine-tuning never saw get e = 0). */
export async function applyFinetune(
  base: ModelVectors & { maskedItems?: Float32Array },
  finetuneDir: string,
  itemIds: readonly string[],
): Promise<ModelVectors & { step: number; maskedItems?: Float32Array }> {
  const ck = await loadLatestCheckpoint<{ steps: number }>(finetuneDir);
  if (!ck) throw new TrainError("BAD_CHECKPOINT", `no fine-tuning checkpoint in ${finetuneDir}`);
  const d = base.dim;
  const get = (name: string) => {
    const t = ck.tensors.get(name);
    if (!t) throw new TrainError("BAD_CHECKPOINT", `${finetuneDir}: checkpoint has no ${name}`);
    return t.values;
  };
  const wq = get("ft/wq");
  const wi = get("ft/wi");
  const emb = get("ft/item_id");
  const ftIds = JSON.parse(await readFile(join(finetuneDir, "item-ids.json"), "utf8")) as string[];
  const ftRow = new Map(ftIds.map((id, i) => [id, i]));
  const n = itemIds.length;
  const items = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    const e = ftRow.get(itemIds[r]!);
    project(base.items, r * d, wi, d, e === undefined ? null : emb, (e ?? 0) * d, items, r * d);
  }
  let maskedItems: Float32Array | undefined;
  if (base.maskedItems) {
    maskedItems = new Float32Array(n * d);
    for (let r = 0; r < n; r++) project(base.maskedItems, r * d, wi, d, null, 0, maskedItems, r * d);
  }
  const encode = async (ts: readonly string[]) =>
    (await base.encode(ts)).map((q) => {
      const out = new Float32Array(d);
      project(q, 0, wq, d, null, 0, out, 0);
      return out;
    });
  return { items, dim: d, encode, step: ck.step, ...(maskedItems ? { maskedItems } : {}) };
}
