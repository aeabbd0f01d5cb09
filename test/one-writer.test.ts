// One writer per data directory (lancedb/writer-lease.ts), through real `vitrine publish` processes:
// two started together never share a release id, the loser is refused naming the holder (or waits
// with --wait), and a writer killed with -9 mid-publish leaves a lease the next publish takes over.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allTableNames, listReleases, openStore, readWriterLease, writerLeasePath } from "../lancedb/index.ts";
import { importedShop } from "../lancedb/test-fixtures.ts";
import { until } from "./fixtures/until.ts";

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { pid: number; done: Promise<Ran>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, ["bin/vitrine.js", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b));
  child.stderr.on("data", (b: Buffer) => (stderr += b));
  const done = new Promise<Ran>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, pid: child.pid!, stdout, stderr })));
  return { pid: child.pid!, done, kill: (s) => child.kill(s) };
}

const releaseOf = (r: Ran) => /\b(r\d{3,})\b/.exec(r.stdout)?.[1];

let shop: Awaited<ReturnType<typeof importedShop>>;
beforeAll(async () => {
  shop = await importedShop({ items: 1500, queries: 150 });
}, 120_000);
afterAll(() => shop.cleanup());

async function releaseIds(): Promise<string[]> {
  return (await listReleases(shop.dataDir)).map((r) => r.id).sort();
}

describe("one writer per data directory", () => {
  it("two publishes started together: each success has its own id; a refused one names the holder and left nothing", async () => {
    const before = await releaseIds();
    const runs = await Promise.all([start(["publish", "--data", shop.dataDir]), start(["publish", "--data", shop.dataDir])].map((c) => c.done));
    for (const r of runs) expect([0, 5], r.stderr).toContain(r.code);
    const won = runs.filter((r) => r.code === 0);
    expect(won.length).toBeGreaterThanOrEqual(1);
    const ids = won.map(releaseOf);
    expect(new Set(ids).size).toBe(won.length);
    expect(await releaseIds()).toEqual([...before, ...ids].sort());
    for (const lost of runs.filter((r) => r.code === 5)) {
      expect(lost.stderr).toContain("WRITER_BUSY");
      expect(lost.stderr).toContain(`pid ${won[0]!.pid}`);
      expect(lost.stderr).toContain(writerLeasePath(shop.dataDir));
    }
    // No leftover tables: a refused publish never chose an id.
    const tables = (await allTableNames(await openStore(shop.dataDir))).filter((t) => /^items_r/.test(t));
    expect(tables.sort()).toEqual((await releaseIds()).map((id) => `items_${id}`));
    expect(existsSync(writerLeasePath(shop.dataDir))).toBe(false);
  }, 180_000);

  it("with --wait both publish, one after the other, each under its own id", async () => {
    const before = await releaseIds();
    const runs = await Promise.all([0, 1].map(() => start(["publish", "--data", shop.dataDir, "--wait", "120"]).done));
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    const ids = runs.map(releaseOf);
    expect(new Set(ids).size).toBe(2);
    expect(await releaseIds()).toEqual([...before, ...ids].sort());
  }, 180_000);

  it("a publish killed with -9 mid-publish: its lease is taken over at once, its id is never served or reused", async () => {
    const before = await releaseIds();
    const victim = start(["publish", "--data", shop.dataDir]);
    const holder = await until("the victim's lease", async () => {
      const h = await readWriterLease(shop.dataDir);
      return h?.pid === victim.pid ? h : null;
    });
    victim.kill("SIGKILL");
    expect((await victim.done).signal).toBe("SIGKILL");
    expect((await readWriterLease(shop.dataDir))?.token).toBe(holder.token); // left behind by the dead holder

    const next = await start(["publish", "--data", shop.dataDir]).done;
    expect(next.code, next.stderr).toBe(0);
    const id = releaseOf(next)!;
    expect(await releaseIds()).toEqual([...before, id].sort());
    expect((await listReleases(shop.dataDir)).find((r) => r.active)?.id).toBe(id);
    // The new id is past any table the killed publish may have started.
    const started = (await allTableNames(await openStore(shop.dataDir)))
      .map((t) => /_r(\d+)$/.exec(t)?.[1])
      .filter(Boolean)
      .map(Number);
    expect(Number(id.slice(1))).toBe(Math.max(...started));
    expect(existsSync(writerLeasePath(shop.dataDir))).toBe(false);
  }, 180_000);
});
