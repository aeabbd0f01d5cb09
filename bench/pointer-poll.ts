// One poll of the active pointer (what every server does each second), on a local folder and on a
// loopback S3 (s3rver behind the conditional-PUT guard, in a child process): the same reads
// (table listing, pointer row, release rows) over a connection opened for the poll — what a poll
// did before the shared connection, the baseline — and through getActiveRelease on the process's
// shared connection. Rounds alternate the two; each shared round is compared with the baseline round
// just before it. Counts LanceDB connects too.
// Usage: npm run bench -- pointer-poll [--rounds 9] [--polls 40]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createHashEncoder } from "../core/index.ts";
import { allTableNames, getActiveRelease, openStore, publishRelease, RELEASE_TABLES, storeConnectCount } from "../lancedb/index.ts";
import { importedShop } from "../lancedb/test-fixtures.ts";
import { spawnLoopbackS3 } from "../test/support/loopback-s3.ts";
import { percentile, printTable, writeResults } from "./bench-utils.ts";

const { values: a } = parseArgs({ options: { rounds: { type: "string", default: "9" }, polls: { type: "string", default: "40" } } });
const rounds = Number(a.rounds);
const polls = Number(a.polls);

/** A poll as it was: connect, then the reads getActiveRelease makes. */
async function pollOnNewConnection(dataDir: string): Promise<string | undefined> {
  const db = await openStore(dataDir);
  await allTableNames(db);
  const [ptr] = (await (await db.openTable(RELEASE_TABLES.active)).query().limit(1).toArray()) as { release: string }[];
  await allTableNames(db);
  const rows = (await (await db.openTable(RELEASE_TABLES.releases)).query().toArray()) as { id: string }[];
  return rows.find((r) => r.id === ptr?.release)?.id;
}

async function timed(fn: () => Promise<unknown>): Promise<{ msPerPoll: number; connects: number }> {
  const c0 = storeConnectCount();
  const t = performance.now();
  for (let i = 0; i < polls; i++) await fn();
  return { msPerPoll: (performance.now() - t) / polls, connects: (storeConnectCount() - c0) / polls };
}

const s3 = await spawnLoopbackS3();
const work = await mkdtemp(join(tmpdir(), "vitrine-bench-poll-"));
Object.assign(process.env, s3.env, { VITRINE_WORK_DIR: work });
const local = await importedShop({ items: 200, queries: 20 });
const stores: [string, string][] = [
  ["local folder", local.dataDir],
  ["loopback s3://", `s3://${s3.bucket}/bench-poll`],
];
await importedShop({ items: 200, queries: 20, out: stores[1]![1] });
for (const [, dataDir] of stores) await publishRelease({ dataDir, encoder: createHashEncoder() });

const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
try {
  for (const [name, dataDir] of stores) {
    const before: number[] = [];
    const after: number[] = [];
    const ratios: number[] = [];
    let connects = { before: 0, after: 0 };
    // Warm both paths (the shared connection opens here).
    await pollOnNewConnection(dataDir);
    await getActiveRelease(dataDir);
    for (let r = 0; r < rounds; r++) {
      const b = await timed(() => pollOnNewConnection(dataDir));
      const s = await timed(() => getActiveRelease(dataDir));
      before.push(b.msPerPoll);
      after.push(s.msPerPoll);
      ratios.push(s.msPerPoll / b.msPerPoll);
      connects = { before: b.connects, after: s.connects };
    }
    const med = (xs: number[]) => percentile(xs, 50);
    rows.push([name, "new connection per poll (baseline)", med(before).toFixed(1), percentile(before, 90).toFixed(1), connects.before, "1.00"]);
    rows.push([name, "shared connection", med(after).toFixed(1), percentile(after, 90).toFixed(1), connects.after, med(ratios).toFixed(2)]);
    results.push({ store: name, rounds, polls, msPerPoll: { baseline: before, shared: after }, ratios, connectsPerPoll: connects });
  }
  printTable(["store", "poll", "ms/poll p50 of rounds", "p90", "connects/poll", "time vs baseline (median of same-round ratios)"], rows);
  console.log(`\n${rounds} rounds × ${polls} polls per setup; written to ${await writeResults("pointer-poll", { results })}`);
} finally {
  await local.cleanup();
  await s3.close();
  await rm(work, { recursive: true, force: true });
}
