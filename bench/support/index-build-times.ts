// Wall and CPU time of a step, the IVF index's build and restore on one thread vs worker threads,
// and the BM25 index's build time and weight at a release's size: what bench/retrieve.ts (and
// bench/ivf-build.ts) report beside the service's own load.
import { createHash } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { buildIvfIndex, ivfLayoutOf, LexicalIndex, lexicalDocsOf, oneThreadRowPass, restoreIvfIndex, type IvfLayout, type VectorKernel } from "../../core/index.ts";
import { ivfWorkerPass, type ReleaseIndex } from "../../lancedb/index.ts";

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

/** One IVF build or restore, timed. */
export interface IvfStepTime extends StepTime {
  /** The longest the main thread's event loop was held up during the step (ms): what a server loading the release feels. */
  stallMs: number;
  /** A digest of the lists, their order and the int8 codes (equal across modes: the same index). */
  digest: string;
}

/** The IVF index built and restored from its own layout on `kernel`, on this thread and then on `workers` worker threads (minRows 0), one after the other. */
export async function ivfBuildTimes(kernel: VectorKernel, workers: number): Promise<{ mode: string; build: IvfStepTime; restore: IvfStepTime }[]> {
  const digest = (ivf: { start: Uint32Array; order: Uint32Array }) => {
    const h = createHash("sha1");
    for (const a of [ivf.start, ivf.order, new Int8Array(kernel.memory.buffer, kernel.at.codes, kernel.n * kernel.dim)]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return h.digest("hex").slice(0, 12);
  };
  const step = async (f: () => Promise<{ start: Uint32Array; order: Uint32Array }>): Promise<IvfStepTime> => {
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let ivf: { start: Uint32Array; order: Uint32Array } | null = null;
    const time = await timedCpu(async () => {
      ivf = await f();
    });
    loop.disable();
    return { ...time, stallMs: loop.max / 1e6, digest: digest(ivf!) };
  };
  const out = [];
  let layout: IvfLayout | null = null;
  for (const [mode, rowPass] of [
    ["one thread", oneThreadRowPass],
    [`${workers} worker threads`, ivfWorkerPass({ workers, minRows: 0 })],
  ] as const) {
    const build = await step(async () => {
      const ivf = await buildIvfIndex(kernel, { rowPass });
      layout ??= ivfLayoutOf(ivf, kernel);
      return ivf;
    });
    const restore = await step(() => restoreIvfIndex(kernel, layout!, { rowPass }));
    out.push({ mode, build, restore });
  }
  return out;
}

/** Milliseconds to copy every row of the kernel out once in chunks, as the worker pass does on the main thread. */
export function rowCopyMs(kernel: VectorKernel, chunkRows: number): number {
  const t0 = performance.now();
  for (let base = 0; base < kernel.n; base += chunkRows) kernel.vectors.slice(base * kernel.dim, Math.min(kernel.n, base + chunkRows) * kernel.dim);
  return performance.now() - t0;
}
