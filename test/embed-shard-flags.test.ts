// `vitrine embed --shard I/N` and `--merge-shards N`: a wrong command line is a usage error naming
// the flag (exit 2) before ONNX Runtime or LanceDB loads; a merge with a shard missing names it (exit 4).
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-shard-flags-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const { VITRINE_EMBED_SHARD: _, ...withoutShardEnv } = process.env;

function embed(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/vitrine.js", "embed", "--data", dir, ...args], { encoding: "utf8", timeout: 60_000, env: withoutShardEnv });
  return { code: r.status, err: r.stderr };
}

describe("vitrine embed shard flags", () => {
  it.each([
    [["--shard", "3/3"], /--shard 3\/3: I must be below N \(shards are numbered 0 to 2\)/],
    [["--shard", "0/0"], /--shard 0\/0: N must be in \[1, 10000\]/],
    [["--shard", "1-4"], /--shard must be a shard I\/N with 0 ≤ I < N, like 0\/4/],
    [["--shard", "0/2", "--merge-shards", "2"], /--merge-shards merges finished shards; run it without --shard/],
    [["--merge-shards", "0"], /--merge-shards/],
  ])("refuses %j as a usage error naming the flag", (args, message) => {
    const r = embed(...args);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
  });

  it("merging with shards missing names each one and the command that makes it", () => {
    const r = embed("--merge-shards", "2");
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain("EMBED_SHARDS_INCOMPLETE");
    expect(r.err).toContain("shard 0/2 has no output; shard 1/2 has no output");
    expect(r.err).toContain(`vitrine embed --data ${dir} --shard 0/2`);
  });
});
