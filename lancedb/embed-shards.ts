// Sharded embedding: `vitrine embed --shard i/N` writes shard i's vectors to its own table,
// `embeddings_shard_<i>_of_<N>`, with a progress file DIR/embed-shards/<i>-of-<N>.json; `vitrine embed
// --merge-shards N` checks that every shard completed with the same model and batch size, then copies
// them in shard order into the `embeddings` table publish reads. Shards cover whole batches of the
// single-process run (shardRange), so every item goes through ONNX Runtime in the same batch as it
// would there: the merged vectors equal a single-process embed bit for bit.
import { allTableNames, openStore } from "./connect.ts";
import { EMBEDDINGS_TABLE, writeEmbedState, type EmbedState } from "./embeddings.ts";
import { deleteDataFile, readDataFile, writeDataFile } from "./data-files.ts";
import { StoreError } from "./errors.ts";
import { withWriterLease } from "./writer-lease.ts";

/** Shard `index` of `count` (0 ≤ index < count). */
export interface ShardSpec {
  /** 0-based shard number (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX). */
  index: number;
  /** How many shards the catalog is split into. */
  count: number;
}

/** A shard's progress file: the embed state plus which rows it covers. */
export interface EmbedShardState extends EmbedState {
  /** The shard. */
  shard: ShardSpec;
  /** Items per inference call: shard boundaries fall on its multiples, so all shards must share it. */
  batchSize: number;
  /** First catalog row of the shard. */
  from: number;
  /** One past its last row. */
  to: number;
}

/** Name of a shard's output table. */
export function embedShardTable(s: ShardSpec): string {
  return `embeddings_shard_${s.index}_of_${s.count}`;
}

/** Catalog rows [from, to) of a shard: whole batches, as even as whole batches allow. */
export function shardRange(items: number, batchSize: number, s: ShardSpec): { from: number; to: number } {
  const batches = Math.ceil(items / batchSize);
  const lo = Math.floor((s.index * batches) / s.count);
  const hi = Math.floor(((s.index + 1) * batches) / s.count);
  return { from: Math.min(lo * batchSize, items), to: Math.min(hi * batchSize, items) };
}

// Progress records beside the store (data-files.ts): shards on other machines must see each other's.
const shardStateName = (s: ShardSpec) => `embed-shards/${s.index}-of-${s.count}.json`;

/** A shard's progress file, or null when it has none. */
export async function readShardState(dataDir: string, s: ShardSpec): Promise<EmbedShardState | null> {
  try {
    const text = await readDataFile(dataDir, shardStateName(s));
    return text === null ? null : (JSON.parse(text) as EmbedShardState);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    return null;
  }
}

/** Replace a shard's progress file whole. */
export async function writeShardState(dataDir: string, st: EmbedShardState): Promise<void> {
  await writeDataFile(dataDir, shardStateName(st.shard), JSON.stringify(st));
}

/** What a merge did. */
export interface MergeResult {
  /** Items in the merged table. */
  items: number;
  /** Shards merged. */
  shards: number;
  /** The model the vectors came from. */
  modelDir: string;
}

const label = (s: ShardSpec) => `${s.index}/${s.count}`;

/**
 * Merge the outputs of shards 0..count-1 into the `embeddings` table (holding the writer lease), then
 * remove them. Fails, naming the shards, when one is missing or incomplete or they disagree on model,
 * catalog size or batch size.
 */
export async function mergeEmbedShards(dataDir: string, count: number): Promise<MergeResult> {
  if (!Number.isInteger(count) || count < 1) throw new StoreError("BAD_OPTION", `the shard count must be a whole number ≥ 1, got ${count}`);
  return withWriterLease(dataDir, "embed merge", async () => {
    const db = await openStore(dataDir);
    const names = new Set(await allTableNames(db));
    const specs = Array.from({ length: count }, (_, index) => ({ index, count }));
    const states = await Promise.all(specs.map((s) => readShardState(dataDir, s)));
    const missing = specs.filter((s, i) => !states[i]).map(label);
    const running = specs.flatMap((s, i) => (states[i] && states[i].state !== "complete" ? [`${label(s)} (running or stopped)`] : []));
    if (missing.length || running.length) {
      const first = missing[0] ?? running[0]!.split(" ")[0];
      throw new StoreError(
        "EMBED_SHARDS_INCOMPLETE",
        `cannot merge ${count} shards in ${dataDir}: ${[...missing.map((m) => `shard ${m} has no output`), ...running.map((r) => `shard ${r} is not complete`)].join("; ")}; ` +
          `run \`vitrine embed --data ${dataDir} --shard ${first}\` (each one listed), then merge again`,
      );
    }
    const done = states as EmbedShardState[];
    const ref = done[0]!;
    let next = 0;
    for (const st of done) {
      const what = `shard ${label(st.shard)}`;
      if (st.modelDir !== ref.modelDir || st.createdAt !== ref.createdAt) {
        throw new StoreError(
          "EMBED_SHARDS_MISMATCH",
          `${what} embedded the model ${st.modelDir} exported at ${st.createdAt}, shard 0/${count} ${ref.modelDir} at ${ref.createdAt}; embed every shard with one model`,
        );
      }
      if (st.items !== ref.items || st.batchSize !== ref.batchSize) {
        throw new StoreError(
          "EMBED_SHARDS_MISMATCH",
          `${what} split ${st.items} items in batches of ${st.batchSize}, shard 0/${count} ${ref.items} in batches of ${ref.batchSize}; run every shard with the same --batch-size on the same import`,
        );
      }
      if (st.from !== next) throw new StoreError("EMBED_SHARDS_MISMATCH", `${what} starts at item ${st.from}, expected ${next}; re-run it`);
      next = st.to;
      const rows = st.to > st.from ? await (await db.openTable(embedShardTable(st.shard))).countRows() : 0;
      if (rows !== st.to - st.from)
        throw new StoreError("EMBED_SHARDS_INCOMPLETE", `${what} holds ${rows} vectors, expected ${st.to - st.from}; run \`vitrine embed --data ${dataDir} --shard ${label(st.shard)}\` again`);
    }
    if (next !== ref.items) throw new StoreError("EMBED_SHARDS_MISMATCH", `the shards cover items 0..${next} of ${ref.items}; were they run with another shard count?`);

    await writeEmbedState(dataDir, { modelDir: ref.modelDir, createdAt: ref.createdAt, state: "running", items: ref.items });
    let out = null;
    for (const st of done) {
      if (st.to === st.from) continue;
      const data = await (await db.openTable(embedShardTable(st.shard))).query().toArrow();
      if (!out) out = await db.createTable(EMBEDDINGS_TABLE, data, { mode: "overwrite" });
      else await out.add(data);
    }
    await writeEmbedState(dataDir, { modelDir: ref.modelDir, createdAt: ref.createdAt, state: "complete", items: ref.items });
    // Done: the shard outputs go (a crash before this point leaves them for another merge).
    for (const s of specs) if (names.has(embedShardTable(s))) await db.dropTable(embedShardTable(s));
    for (const s of specs) await deleteDataFile(dataDir, shardStateName(s));
    return { items: ref.items, shards: count, modelDir: ref.modelDir };
  });
}
