import type { PresetName } from "../model/config.ts";

/** Fine-tuning steps retrain runs per preset (and the fine-tuned ablation rows use). */
// cpu: 1,500 steps (≈ 2.5 min on 2 cores).
export const RETRAIN_FINETUNE_STEPS: Record<PresetName, number> = { tiny: 20, cpu: 1_500, base: 2_000 };
