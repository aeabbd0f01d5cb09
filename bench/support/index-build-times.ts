// Wall and CPU time of a step, and the BM25 index's build time and weight at a release's size:
// what bench/retrieve.ts reports beside the service's own load.
import { LexicalIndex, lexicalDocsOf } from "../../core/index.ts";
import type { ReleaseIndex } from "../../lancedb/index.ts";

/** Wall and CPU seconds of one step. */
export interface StepTime {
  /** Elapsed seconds. */
  wallS: number;
  /** This process's user + system CPU seconds over the step. */
  cpuS: number;
}

/** Time `f`: wall clock and this process's CPU. */
export async function timedCpu(f: () => Promise<unknown>): Promise<StepTime> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 };
}

/**
 * The BM25 index the service built at load (LexicalIndex.buildAsync), built again in one block to
 * time it alone (its docs made beforehand) and weigh it: heap + array buffers after a GC, once the
 * docs are dropped. Null when the release serves no lexical channel. `gc` needs --expose-gc.
 */
export async function lexicalBuildOf(idx: ReleaseIndex, gc: () => void): Promise<(StepTime & { memoryMB: number; terms: number }) | null> {
  if (!idx.lexical) return null;
  const heap = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  gc();
  const h0 = heap(); // before the docs: the delta after they are dropped is the index alone
  let docs: ReturnType<typeof lexicalDocsOf> | null = lexicalDocsOf(idx);
  let built: LexicalIndex | null = null;
  const time = await timedCpu(async () => {
    built = LexicalIndex.build(docs!);
  });
  docs = null;
  gc();
  const out = { ...time, memoryMB: Math.round((heap() - h0) / 2 ** 20), terms: (built as LexicalIndex | null)?.termCount() ?? 0 };
  built = null;
  gc();
  return out;
}
