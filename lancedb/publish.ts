// Publish a release (DESIGN §5): build every table and index under the release's final name,
// then record it in `releases`, then flip the pointer. Until the `releases` row exists the
// release is invisible; until the pointer moves, readers keep the previous one.
import { buildSearchIndex, countLexiconValues, fitBlend, parseBlend, popularityOf, type Blend, type BlendFit, type ReleaseInfo, type TextEmbedder } from "../core/index.ts";
import { readImportManifest } from "./import-manifest.ts";
import { itemColumnsOf, readCatalog, readClickLog, readTuningQueries } from "./catalog-source.ts";
import { allTableNames, openStore } from "./connect.ts";
import { StoreError } from "./errors.ts";
import { checkedUnitVectors, collectItemVectors, encodeItems } from "./item-vectors.ts";
import { assertIndexesComplete, buildScalarIndexes, planScalarIndexes, writeItemsTable } from "./items-table.ts";
import { writeLexiconTable } from "./lexicon-table.ts";
import { writeQidsTable } from "./qids-table.ts";
import { ivfTable, nextReleaseId, releaseTables } from "./release-names.ts";
import { writeIvfTable } from "./ivf-table.ts";
import { appendReleaseRow, readPointer, readReleaseRows, toReleaseInfo, writePointer, type ReleaseRow } from "./release-registry.ts";
import { IMPORT_TABLES } from "./import-tables.ts";
import { assertWriterLease, withWriterLease } from "./writer-lease.ts";
import { buildVectorIndex, planVectorIndex, type VectorIndexOptions } from "./vector-index.ts";

/** Publish stages, in order, for a progress bar. */
export type PublishStage = "catalog" | "vectors" | "items" | "index" | "blend" | "qids" | "lexicon" | "activate";

/** Progress of a running publish. */
export interface PublishProgress {
  /** The release being built. */
  release: string;
  /** Current stage. */
  stage: PublishStage;
  /** Units done in this stage (items, queries, or 0/1 for one-step stages). */
  done: number;
  /** Units in this stage. */
  total: number;
}

/** What to publish and how. */
export interface PublishOptions {
  /** Data directory an import completed in. */
  dataDir: string;
  /** Query encoder (and item encoder when `itemVectors` is absent). */
  encoder: TextEmbedder;
  /** Precomputed item vectors (a trained item tower's output); default: encode title + brand + category. */
  itemVectors?: AsyncIterable<{ id: string; vector: Float32Array }>;
  /** Length of each precomputed qid list (default 200). */
  topK?: number;
  /** Items below which no vector index is built (default 50,000). */
  exactThreshold?: number;
  /** ANN index kind above the threshold (default "ivf_hnsw_sq"). */
  ann?: VectorIndexOptions["ann"];
  /** Channel blend: "fit" (default) fits the vector weight on the tuning half of the held-out clicks; or a fixed blend. */
  blend?: "fit" | Blend;
  /** Build the lexical (BM25) channel (default true); false serves vectors alone. */
  lexical?: boolean;
  /** Fit the popularity prior's weight with the blend (default true: the fit keeps it at 0.3 unless the tuning clicks show another weight doing better; false: it stays 0; a fixed `blend` sets its own). The items' priors are stored either way. */
  prior?: boolean;
  /** Exact-scan limit used by the live search when precomputing and fitting (default 100,000, as serving); a release with more items also stores its IVF index (`ivf_rNNN`). */
  exactLimit?: number;
  /** Point readers at the new release when complete (default true). */
  activate?: boolean;
  /** Called as stages advance. */
  onProgress?: (p: PublishProgress) => void;
  /** How long to wait for another writer's lease on the data directory (default 0: fail with WRITER_BUSY). */
  waitForWriterMs?: number;
  /** Test hook, run after every table and index is built and before the release is recorded. */
  beforeActivate?: () => Promise<void>;
}

/** Publish a new release from the data directory's import; returns it (active unless `activate: false`). Holds the writer lease throughout. */
export async function publishRelease(opts: PublishOptions): Promise<ReleaseInfo> {
  return withWriterLease(opts.dataDir, "publish", () => publishLeased(opts), { waitMs: opts.waitForWriterMs ?? 0 });
}

async function publishLeased(opts: PublishOptions): Promise<ReleaseInfo> {
  const started = performance.now();
  const topK = opts.topK ?? 200;
  if (!Number.isInteger(topK) || topK < 1 || topK > 10_000) throw new StoreError("BAD_OPTION", `topK must be an integer in [1, 10000], got ${topK}`);
  const { encoder } = opts;
  const dim = encoder.dim;
  const manifest = await readImportManifest(opts.dataDir);
  const db = await openStore(opts.dataDir);
  const id = nextReleaseId(
    await allTableNames(db),
    (await readReleaseRows(db)).map((r) => r.id),
  );
  const names = releaseTables(id);
  const progress = (stage: PublishStage, done: number, total: number) => opts.onProgress?.({ release: id, stage, done, total });

  progress("catalog", 0, 1);
  const cat = await readCatalog(db, manifest.tables[IMPORT_TABLES.catalog]);
  const n = cat.ids.length;
  if (n === 0) throw new StoreError("BAD_OPTION", `the catalog in ${opts.dataDir} has no items; import a catalog first`);
  progress("catalog", 1, 1);

  progress("vectors", 0, n);
  const vectors = opts.itemVectors ? await collectItemVectors(cat, opts.itemVectors, dim, (d) => progress("vectors", d, n)) : await encodeItems(cat, encoder, (d) => progress("vectors", d, n));

  progress("items", 0, n);
  const rowOf = new Map(cat.ids.map((x, i) => [x, i]));
  const { training, queries } = await readClickLog(db, rowOf, manifest.tables[IMPORT_TABLES.clicks]);
  const popularity = popularityOf(training.rows, training.clicks, n);
  const items = await writeItemsTable(db, names.items, cat, vectors, dim, popularity);
  progress("items", n, n);

  progress("index", 0, 1);
  const scalar = planScalarIndexes(cat);
  await buildScalarIndexes(items, scalar);
  const vindex = planVectorIndex(n, dim, { ...(opts.exactThreshold !== undefined ? { exactThreshold: opts.exactThreshold } : {}), ...(opts.ann ? { ann: opts.ann } : {}) });
  await buildVectorIndex(items, vindex);
  await assertIndexesComplete(items, [...Object.keys(scalar).map((c) => `${c}_idx`), ...(vindex.kind === "exact" ? [] : ["vector_idx"])]);
  // Serving searches a release above its exact limit with the in-memory IVF index: built here once
  // and stored, so each server process restores it instead of building it at load.
  const exactLimit = opts.exactLimit ?? 100_000;
  if (n > exactLimit) await writeIvfTable(db, ivfTable(id), vectors, dim);
  progress("index", 1, 1);

  // The in-memory index serving will load: the blend is fitted on it and the qid lists come from it.
  const lexical = opts.lexical ?? true;
  // It holds the popularity column as serving will load it, so the qid lists rank as serving does.
  const idx = buildSearchIndex(itemColumnsOf(cat), { vectors, dim, lexical, popularity });
  progress("blend", 0, 1);
  let fit: BlendFit;
  if (opts.blend && opts.blend !== "fit") fit = { blend: parseBlend(opts.blend), queries: 0, grid: [], reason: "fixed by the publisher" };
  else {
    const tuning = await readTuningQueries(db, rowOf, training, manifest.tables[IMPORT_TABLES.clicksEval]);
    const encode = async (ts: readonly string[]) => checkedUnitVectors(await encoder.encode([...ts]), dim, "query");
    fit = await fitBlend(idx, tuning, { encode, exactLimit, prior: opts.prior ?? true });
  }
  idx.blend = fit.blend;
  progress("blend", 1, 1);

  progress("qids", 0, queries.length);
  const qids = await writeQidsTable(db, names.qids, queries, encoder, cat.ids, idx, { topK, exactLimit, onProgress: (d) => progress("qids", d, queries.length) });
  if (queries.length > 0) await assertIndexesComplete(qids, ["qid_idx"]);

  progress("lexicon", 0, 1);
  await writeLexiconTable(db, names.lexicon, countLexiconValues(cat.brands, cat.categories));
  progress("lexicon", 1, 1);

  await opts.beforeActivate?.();
  await assertWriterLease(opts.dataDir);

  const row: ReleaseRow = {
    id,
    created_at: new Date().toISOString(),
    items: n,
    qids: queries.length,
    dim,
    model: encoder.name,
    model_config: JSON.stringify(encoder.config ?? {}),
    index_kind: vindex.kind,
    index_params: JSON.stringify(vindex.params),
    scalar_indexes: JSON.stringify(scalar),
    top_k: topK,
    attribute_keys: JSON.stringify(cat.attributeKeys),
    import_tables: JSON.stringify(manifest.tables),
    publish_seconds: (performance.now() - started) / 1000,
    state: "complete",
    retrieval: JSON.stringify({
      lexical,
      blend: fit.blend,
      fit: {
        queries: fit.queries,
        grid: fit.grid,
        ...(fit.best !== undefined ? { best: fit.best } : {}),
        ...(fit.reason ? { reason: fit.reason } : {}),
        ...(fit.priorGrid ? { priorGrid: fit.priorGrid, priorBest: fit.priorBest } : {}),
      },
    }),
  };
  await appendReleaseRow(db, row);
  let active = (await readPointer(db))?.release ?? null;
  if (opts.activate ?? true) {
    progress("activate", 0, 1);
    await writePointer(db, { release: id, previous: active, updated_at: new Date().toISOString() });
    active = id;
    progress("activate", 1, 1);
  }
  return toReleaseInfo(row, active);
}
