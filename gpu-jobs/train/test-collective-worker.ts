// A worker for collective.test.ts: three all-reduces of rank-dependent gradients, an exchange of
// rows, scalars; or (`failAt`) a TrainError thrown by one rank before a barrier.
import { TrainError } from "../errors.ts";
import { Collective, type CollectiveBuffers } from "./collective.ts";
import { workerMain } from "./worker-group.ts";

/** The test worker's start message. */
export interface CollectiveTestInit {
  /** This worker's rank. */
  rank: number;
  /** The group's buffers. */
  buffers: CollectiveBuffers;
  /** This rank throws at this step instead of reducing (others then wait at the barrier). */
  failAt?: number;
}

await workerMain<CollectiveTestInit, { means: number[][]; rows: number[]; losses: number[] }>(async ({ init, progress }) => {
  const c = new Collective(init.buffers, init.rank);
  const means: number[][] = [];
  let rows: number[] = [];
  let losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    if (init.failAt === step) throw new TrainError("BAD_OPTION", `rank ${init.rank} failed at step ${step}`);
    // Gradient element i of rank r at step s: (r + 1) · (i + 1) + s.
    c.gradSlot(step).set(Array.from({ length: init.buffers.gradSize }, (_, i) => (init.rank + 1) * (i + 1) + step));
    c.writeRows(
      step,
      init.rank,
      Float32Array.from({ length: init.buffers.rowDim }, (_, d) => 10 * init.rank + d + step),
    );
    c.writeScalars(step, [init.rank + step]);
    means.push(Array.from(c.allReduceMean(step)));
    rows = Array.from(c.readRows(step));
    losses = c.readScalars(step).map((x) => x[0]!);
    progress(step);
  }
  return { means, rows, losses };
});
