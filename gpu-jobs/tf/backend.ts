// TF.js backend selection (DESIGN §4): tfjs-node-gpu, else tfjs-node, else tfjs + wasm (SIMD),
// else the pure-JS cpu backend. The native packages download libtensorflow at install and cannot
// install everywhere, so they are imported dynamically and never required.
import * as tfjs from "@tensorflow/tfjs";
import { TrainError } from "../errors.ts";
import { installReduceGradients } from "./reduce-grads.ts";
import { shareUnchangedTensorsOnWasm } from "./wasm-kernels.ts";

/** The TF.js namespace every gpu-jobs module computes with. */
export type Tf = typeof tfjs;

/** Backends in the order they are tried. */
export type BackendName = "node-gpu" | "node" | "wasm" | "cpu";

/** Every backend name, in preference order. */
export const BACKEND_NAMES: readonly BackendName[] = ["node-gpu", "node", "wasm", "cpu"];

/** What to select. */
export interface SelectBackendOptions {
  /** Force one backend; fails with BACKEND_UNAVAILABLE when it cannot start (default: first that works). */
  prefer?: BackendName;
  /** Receives one line on the choice and one per backend skipped (default: silent). */
  log?: (msg: string) => void;
}

/** The backend in use. */
export interface SelectedBackend {
  /** TF.js namespace bound to the selected backend: use this one, not a second copy of tfjs. */
  tf: Tf;
  /** Which backend runs. */
  name: BackendName;
  /** Why each earlier backend was passed over (empty when the first one tried started). */
  skipped: string[];
}

/** npm package that provides each backend. */
const PACKAGE: Record<BackendName, string> = {
  "node-gpu": "@tensorflow/tfjs-node-gpu",
  node: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: "@tensorflow/tfjs",
};

type Attempt = { ok: true; tf: Tf } | { ok: false; reason: string };

// The selection in force: what was asked for, and (once started) the backend that runs.
let current: { asked: BackendName | undefined; name: BackendName | undefined; promise: Promise<SelectedBackend> } | null = null;

/** Select (once per process) the fastest TF.js backend that starts, or the preferred one. */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<SelectedBackend> {
  // A later call without a preference, or with the one in force, gets the selection already made;
  // naming another backend switches tfjs to it (do that before making tensors).
  if (current && (opts.prefer === undefined || opts.prefer === current.asked || opts.prefer === current.name)) return current.promise;
  const previous = current;
  const entry: NonNullable<typeof current> = { asked: opts.prefer, name: undefined, promise: select(opts) };
  current = entry;
  try {
    const chosen = await entry.promise;
    entry.name = chosen.name;
    return chosen;
  } catch (err) {
    // A failed switch leaves the earlier selection in force (tfjs's active backend did not change).
    if (current === entry) current = previous;
    throw err;
  }
}

/** The backend selected so far, or null before the first selectBackend. */
export function currentBackend(): Promise<SelectedBackend> | null {
  return current?.promise ?? null;
}

async function select(opts: SelectBackendOptions): Promise<SelectedBackend> {
  const log = opts.log ?? (() => {});
  if (opts.prefer !== undefined) {
    const name = opts.prefer;
    const a = await attempt(name);
    if (!a.ok) {
      throw new TrainError(
        "BACKEND_UNAVAILABLE",
        `backend "${name}" was requested but ${a.reason}; install it with \`npm install ${PACKAGE[name]}\` or choose another with --backend (${BACKEND_NAMES.join(", ")})`,
      );
    }
    log(`tf backend: ${name}${await detail(name)} (requested)`);
    return { tf: a.tf, name, skipped: [] };
  }
  const skipped: string[] = [];
  for (const name of BACKEND_NAMES) {
    const a = await attempt(name);
    if (a.ok) {
      for (const s of skipped) log(`tf backend: skipped ${s}`);
      log(`tf backend: ${name}${await detail(name)}${skipped.length ? ` (first of ${BACKEND_NAMES.join(" > ")} that started)` : ""}`);
      return { tf: a.tf, name, skipped };
    }
    skipped.push(`${name}: ${a.reason}`);
  }
  throw new TrainError("BACKEND_UNAVAILABLE", `no TF.js backend started: ${skipped.join("; ")}`);
}

async function attempt(name: BackendName): Promise<Attempt> {
  try {
    if (name === "node-gpu" || name === "node") return await attemptNative(PACKAGE[name]);
    if (name === "wasm") {
      await import("@tensorflow/tfjs-backend-wasm");
      // The threaded build needs Web Workers, which never start in Node: ask for the SIMD build.
      tfjs.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      const a = await activate(tfjs, "wasm");
      if (a.ok) {
        shareUnchangedTensorsOnWasm();
        installReduceGradients();
      }
      return a;
    }
    const a = await activate(tfjs, "cpu");
    if (a.ok) installReduceGradients();
    return a;
  } catch (err) {
    return { ok: false, reason: `failed to start (${message(err)})` };
  }
}

async function attemptNative(pkg: string): Promise<Attempt> {
  let mod: Record<string, unknown>;
  try {
    // A computed specifier: neither tsc nor the bundler may insist that the package exists.
    mod = (await import(/* @vite-ignore */ pkg)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const missing = (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message(err).includes(pkg);
    return { ok: false, reason: missing ? `${pkg} is not installed` : `${pkg} failed to load (${message(err)})` };
  }
  // tfjs-node registers "tensorflow" on the tfjs it depends on; when npm deduped it, that is ours.
  if (tfjs.findBackendFactory("tensorflow")) return activate(tfjs, "tensorflow");
  const nested = ((mod as { default?: unknown }).default ?? mod) as Tf;
  if (typeof nested.setBackend !== "function") return { ok: false, reason: `${pkg} loaded but exports no TF.js namespace` };
  return activate(nested, "tensorflow");
}

async function activate(tf: Tf, backend: string): Promise<Attempt> {
  const ok = await tf.setBackend(backend);
  if (!ok) return { ok: false, reason: `tf.setBackend("${backend}") returned false` };
  await tf.ready();
  return { ok: true, tf };
}

/** Extra facts worth a log line: whether wasm got its SIMD build. */
async function detail(name: BackendName): Promise<string> {
  if (name !== "wasm") return "";
  const simd = await tfjs.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  return simd ? " [SIMD, 1 thread]" : " [no SIMD: slow, 1 thread]";
}

function message(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split("\n")[0] ?? m;
}
