// MBNS and CDNS are switched on only after a fraction of training (seed 001 §2.2): early
// embeddings move too fast to be useful negatives from the past (bank) or from other devices.
import { TrainError } from "../errors.ts";

/** First 0-based step at which a switch with this start fraction is on: ⌈fraction · total⌉. */
export function startStep(totalSteps: number, startFraction: number): number {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new TrainError("BAD_OPTION", `totalSteps must be an integer >= 1; got ${totalSteps}`);
  }
  if (!(startFraction >= 0 && startFraction <= 1)) {
    throw new TrainError("BAD_OPTION", `start fraction must be in [0, 1]; got ${startFraction}`);
  }
  // The small slack keeps 0.3 · 10 = 3.0000000000000004 at step 3, not 4.
  return Math.ceil(startFraction * totalSteps - 1e-9);
}

/** Whether a switch that turns on after `startFraction` of `totalSteps` is on at 0-based `step`. */
export function activeAt(step: number, totalSteps: number, startFraction: number): boolean {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be an integer >= 0; got ${step}`);
  return step >= startStep(totalSteps, startFraction);
}
