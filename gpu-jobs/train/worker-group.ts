// A group of training workers (worker_threads), both sides: runWorkerGroup starts N workers on a
// TypeScript entry and relays what they post; workerMain is the entry's frame in each worker. One
// worker failing aborts the group (the others are waiting at a barrier of train/collective.ts) and
// the run fails with that worker's error, its code kept (a TrainError stays a TrainError).
import { parentPort, Worker, workerData } from "node:worker_threads";
import { TrainError, type TrainErrorCode } from "../errors.ts";
import { abortGroup, type CollectiveBuffers, GroupAborted } from "./collective.ts";

/** What a worker posts to the coordinator. */
type WorkerMessage =
  | { type: "log"; line: string }
  | { type: "progress"; payload: unknown }
  | { type: "done"; payload: unknown }
  | { type: "error"; error: { name: string; message: string; code?: string; stack?: string } };

/** How to run a group. */
export interface RunWorkerGroupOptions<I> {
  /** The worker module (TypeScript; its body calls workerMain). */
  entry: URL;
  /** The group's shared buffers (their `world` is the number of workers). */
  buffers: CollectiveBuffers;
  /** Worker `rank`'s start message (structured-cloned; SharedArrayBuffers in it are shared). */
  init: (rank: number) => I;
  /** Log lines the workers post. */
  onLog?: (line: string) => void;
  /** Progress the workers post (e.g. step metrics). */
  onProgress?: (payload: unknown) => void;
}

/** What a worker's main function gets. */
export interface WorkerContext<I> {
  /** The start message. */
  init: I;
  /** Post a log line to the coordinator. */
  log(line: string): void;
  /** Post progress to the coordinator. */
  progress(payload: unknown): void;
}

// Plain Node cannot start a worker on a .ts file, and a worker does not inherit the TypeScript
// loader a parent registered with tsx's register() (bin/vitrine.js): this module registers it first.
const BOOT = new URL("./worker-boot.mjs", import.meta.url);

/** Start `buffers.world` workers on `entry`; resolves with rank 0's result once all have exited. */
export function runWorkerGroup<I, R>(o: RunWorkerGroupOptions<I>): Promise<R> {
  const world = o.buffers.world;
  return new Promise<R>((resolve, reject) => {
    let failure: Error | null = null;
    let result: { value: R } | null = null;
    let running = world;
    const workers: Worker[] = [];
    const fail = (err: Error) => {
      if (!failure) failure = err;
      abortGroup(o.buffers);
    };
    for (let rank = 0; rank < world; rank++) {
      const w = new Worker(BOOT, { workerData: { entry: o.entry.href, init: o.init(rank) } });
      workers.push(w);
      w.on("message", (m: WorkerMessage) => {
        // A callback that throws (a cancelled job's progress hook) fails the run like a worker would.
        const relay = (f: () => void) => {
          try {
            f();
          } catch (err) {
            fail(err instanceof Error ? err : new Error(String(err)));
          }
        };
        if (m.type === "log") relay(() => o.onLog?.(m.line));
        else if (m.type === "progress") relay(() => o.onProgress?.(m.payload));
        else if (m.type === "done") {
          if (rank === 0) result = { value: m.payload as R };
        } else if (m.type === "error" && m.error.name !== "GroupAborted") fail(toError(m.error, rank));
      });
      w.on("error", (err) => fail(new Error(`training worker ${rank} failed: ${err.message}`, { cause: err })));
      w.on("exit", (code) => {
        if (code !== 0 && !failure) fail(new Error(`training worker ${rank} exited with code ${code}`));
        if (--running > 0) return;
        if (failure) reject(failure);
        else if (result) resolve(result.value);
        else reject(new Error("training worker 0 exited without a result"));
      });
    }
  });
}

function toError(e: { name: string; message: string; code?: string; stack?: string }, rank: number): Error {
  if (e.name === "TrainError" && e.code) return new TrainError(e.code as TrainErrorCode, e.message);
  const err = new Error(`training worker ${rank}: ${e.message}`);
  if (e.stack) err.stack = `${err.message}\n${e.stack.split("\n").slice(1).join("\n")}`;
  return err;
}

/** Run a worker's body: posts its result, or its error (after aborting the group so no one waits for it). */
export async function workerMain<I extends { buffers: CollectiveBuffers }, R>(body: (ctx: WorkerContext<I>) => Promise<R>): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("workerMain runs in a worker thread");
  const init = (workerData as { init: I }).init;
  try {
    const value = await body({ init, log: (line) => port.postMessage({ type: "log", line }), progress: (payload) => port.postMessage({ type: "progress", payload }) });
    port.postMessage({ type: "done", payload: value });
  } catch (err) {
    if (!(err instanceof GroupAborted)) abortGroup(init.buffers);
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as Error & { code?: unknown }).code;
    port.postMessage({ type: "error", error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}), ...(typeof code === "string" ? { code } : {}) } });
  }
}
