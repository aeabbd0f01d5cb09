// The local runner starts job processes niced (jobs on the serving machine leave the CPU to
// requests first), threads included; a real child process reports its own priority.
import { getPriority, platform } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createLocalRunner, JOB_NICE } from "./runners.ts";

const PRINT_NICE = fileURLToPath(new URL("./test-support/print-nice.mjs", import.meta.url));
// nice(1) adds to the niceness the server (here: the test process) already runs at.
const added = (n: number) => Math.min(19, getPriority() + n);

async function run(nice: number | undefined): Promise<{ main: number; worker: number; argv: string[] }> {
  const runner = createLocalRunner({ cli: PRINT_NICE, ...(nice !== undefined ? { nice } : {}) });
  const lines: string[] = [];
  const p = runner.start({ id: "j1", jobDir: "/tmp/job-dir", dataDir: "/tmp", resume: true }, (l) => lines.push(l));
  expect(await p.exited).toEqual({ code: 0, signal: null });
  return JSON.parse(lines.find((l) => l.startsWith("{")) ?? "null");
}

describe.runIf(platform() !== "win32")("local job runner", () => {
  it(`runs jobs ${JOB_NICE} nicer than the server by default, the threads they start included`, async () => {
    const out = await run(undefined);
    expect(out).toEqual({ main: added(JOB_NICE), worker: added(JOB_NICE), argv: ["job-run", "--job", "/tmp/job-dir", "--resume"] });
  });

  it("takes another niceness, and 0 runs the job as the server runs", async () => {
    expect((await run(3)).main).toBe(added(3));
    expect((await run(0)).main).toBe(added(0));
  });

  it("refuses a niceness outside 0–19, naming the variable", () => {
    expect(() => createLocalRunner({ nice: 20 })).toThrow(/nice must be a whole number 0–19 \(VITRINE_JOB_NICE\), got 20/);
    expect(() => createLocalRunner({ nice: 1.5 })).toThrow(/0–19/);
  });
});
