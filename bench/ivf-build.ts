// The in-memory IVF index's build and restore (core/simd/ivf-index.ts) on one thread vs worker threads
// (lancedb/ivf-workers.ts) at several sizes, in the same run: where the workers start to pay (their
// default minRows), and the ratio at 1M. Data: clustered unit vectors (1000 Gaussian centres + noise),
// lists as serving picks them (ivfListsFor). Each size checks that both modes built the same index.
// Usage: npm run bench -- ivf-build [--sizes 25000,50000,100000,200000,1000000] [--dim 128] [--workers N (default: available cores)] [--seed 1]
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { ivfListsFor, mulberry32, VectorKernel } from "../core/index.ts";
import { IVF_WORKER_CHUNK_ROWS } from "../lancedb/index.ts";
import { printTable, writeResults } from "./bench-utils.ts";
import { ivfBuildTimes, rowCopyMs } from "./support/index-build-times.ts";

const { values: a } = parseArgs({
  options: {
    sizes: { type: "string", default: "25000,50000,100000,200000,1000000" },
    dim: { type: "string", default: "128" },
    workers: { type: "string", default: String(availableParallelism()) },
    seed: { type: "string", default: "1" },
  },
});
const DIM = Number(a.dim),
  W = Number(a.workers),
  SEED = Number(a.seed);
const sizes = a.sizes.split(",").map(Number);
const f2 = (x: number) => x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1);

function clusteredKernel(n: number): VectorKernel {
  const r = mulberry32(SEED);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: 1000 }, () => Float32Array.from({ length: DIM }, gauss));
  const k = new VectorKernel({ n, dim: DIM, lists: ivfListsFor(n) });
  const v = k.vectors;
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)]!;
    let s = 0;
    for (let j = 0; j < DIM; j++) s += (v[i * DIM + j] = c[j]! + 0.7 * gauss()) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < DIM; j++) v[i * DIM + j]! *= inv;
  }
  return k;
}

console.log(`IVF index build and restore, ${DIM}-d, one thread vs ${W} worker threads; ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)} at start\n`);
const rows: (string | number)[][] = [];
const results = [];
for (const n of sizes) {
  const kernel = clusteredKernel(n);
  const copyMs = rowCopyMs(kernel, IVF_WORKER_CHUNK_ROWS);
  const [one, par] = await ivfBuildTimes(kernel, W);
  const same = one!.build.digest === par!.build.digest && one!.restore.digest === par!.restore.digest && one!.build.digest === one!.restore.digest;
  for (const [what, o, p] of [
    ["build", one!.build, par!.build],
    ["restore", one!.restore, par!.restore],
  ] as const) {
    rows.push([
      `${n.toLocaleString("en")} rows, ${kernel.lists} lists: ${what}`,
      f2(o.wallS),
      f2(p.wallS),
      `${(o.wallS / p.wallS).toFixed(2)}×`,
      f2(o.cpuS),
      f2(p.cpuS),
      f2(o.stallMs),
      f2(p.stallMs),
      same ? "yes" : "NO",
    ]);
  }
  results.push({ n, lists: kernel.lists, copyMs, one, parallel: par, same });
  console.error(`${n}: done (row copy ${copyMs.toFixed(0)} ms)`);
}
printTable(["size: step", "1 thread s", `${W} workers s`, "speed-up", "1 thread CPU s", `${W} workers CPU s`, "1 thread stall ms", `${W} workers stall ms`, "same index"], rows);
console.log(`\nrow copy to the workers (main thread, chunks of ${IVF_WORKER_CHUNK_ROWS}): ${results.map((x) => `${x.n}: ${x.copyMs.toFixed(0)} ms`).join(", ")}`);
console.log(`load average ${loadavg()[0]!.toFixed(1)} at the end`);
console.log(`\nwrote ${await writeResults("ivf-build", { dim: DIM, workers: W, results })}`);
if (results.some((x) => !x.same)) process.exit(1);
