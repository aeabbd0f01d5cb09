// The retrieval service on the embedded LanceDB: keeps the active release loaded in memory,
// follows the active pointer (hot reload without a failed request), and answers the API.
import { queryId, type RetrieveRequest, type SimilarRequest, type TextEmbedder } from "../../core/index.ts";
import { edgeKvFromFlags, getActiveRelease, listReleases, openRelease, StoreError, switchRelease, type EdgeChoice } from "../../lancedb/index.ts";
import { EncoderUnavailableError, queryEncoderFor } from "../../encoders/index.ts";
import { loadReleaseIndex, type ReleaseIndex } from "../../lancedb/index.ts";
import { retrieveFrom, similarFrom } from "./retrieve.ts";
import { ServiceError, type ItemRecord, type LookupResult, type ReleaseInfo, type RetrievalService, type RetrieveResult, type SimilarResult, type SwitchOptions } from "./types.ts";

/** Options of the LanceDB-backed retrieval service. */
export interface RetrievalServiceOptions {
  /** Data directory holding store/ (what `vitrine import` and `vitrine publish` wrote). */
  dataDir: string;
  /** How often to check the active pointer for a new release, in ms (default 1000; 0 disables polling). */
  pollMs?: number;
  /** Filters matching at most this many items are searched exactly in memory (default 100,000). */
  exactLimit?: number;
  /** Worker threads that build or restore a large release's IVF index at load (default: the available cores). */
  ivfWorkers?: number;
  /** Called when a reload fails (the old release keeps serving). */
  onReloadError?: (err: unknown) => void;
  /** Called after a release was loaded and swapped in. */
  onReload?: (info: ReleaseInfo, ms: number) => void;
  /** Where activate and rollback read the edge's Cloudflare credentials (CLOUDFLARE_ACCOUNT_ID, ...; default process.env). */
  edgeEnv?: Record<string, string | undefined>;
}

interface Loaded {
  index: ReleaseIndex;
  encoder: TextEmbedder;
}

function mapStoreError(e: unknown): never {
  if (e instanceof StoreError) {
    if (e.code === "NO_ACTIVE_RELEASE") throw new ServiceError("NO_RELEASE", e.message);
    if (e.code === "RELEASE_MISSING" || e.code === "RELEASE_INCOMPLETE") throw new ServiceError("RELEASE_NOT_FOUND", e.message);
    if (e.code === "NO_PREVIOUS_RELEASE") throw new ServiceError("BAD_REQUEST", e.message);
  }
  throw e;
}

/** The LanceDB-backed service: the contract, plus the loaded release itself for in-process tools. */
export interface LoadedRetrievalService extends RetrievalService {
  /** The release index the service answers from (the active one, or `release`): read it, never change it (bench/retrieve.ts reuses it instead of loading a second copy). */
  releaseIndex(release?: string): Promise<ReleaseIndex>;
}

/** Create the service and load the active release (if any). */
export async function createRetrievalService(opts: RetrievalServiceOptions): Promise<LoadedRetrievalService> {
  const exactLimit = opts.exactLimit ?? 100_000;
  let active: Loaded | null = null;
  // Non-active releases asked for by id, kept loaded until the next reload.
  const others = new Map<string, Promise<Loaded>>();
  let loading: Promise<void> | null = null;

  async function load(id?: string): Promise<Loaded> {
    const handles = await openRelease(opts.dataDir, id).catch(mapStoreError);
    const encoderOf = queryEncoderFor(handles.encoder, handles.info.id).catch((e: unknown) => {
      throw e instanceof EncoderUnavailableError ? new ServiceError("UNAVAILABLE", e.message) : e;
    });
    const [index, encoder] = await Promise.all([loadReleaseIndex(handles, { exactLimit, ...(opts.ivfWorkers ? { ivfWorkers: opts.ivfWorkers } : {}) }), encoderOf]);
    return { index, encoder };
  }

  // Load the release the pointer names, then swap the reference in one assignment: requests that
  // already hold the old one finish on it, new requests get the new one.
  async function refresh(): Promise<void> {
    const info = await getActiveRelease(opts.dataDir);
    if (!info || info.id === active?.index.info.id) return;
    const t = performance.now();
    const next = await load(info.id);
    active = next;
    others.clear();
    opts.onReload?.(next.index.info, performance.now() - t);
  }
  function refreshOnce(): Promise<void> {
    loading ??= refresh().finally(() => {
      loading = null;
    });
    return loading;
  }

  // After our own pointer write: a refresh already in flight may have read the old pointer, so
  // wait for it and then refresh again (any refresh started from now on sees the write).
  async function refreshAfterWrite(): Promise<void> {
    await loading?.catch(() => undefined);
    await refreshOnce();
  }

  await refreshOnce().catch((e) => {
    if (!(e instanceof ServiceError && e.code === "NO_RELEASE")) throw e;
  });
  const timer = opts.pollMs === 0 ? null : setInterval(() => refreshOnce().catch((e) => opts.onReloadError?.(e)), opts.pollMs ?? 1000);
  timer?.unref();

  async function pick(release?: string): Promise<Loaded> {
    if (!active) {
      await refreshOnce();
      if (!active) throw new ServiceError("NO_RELEASE", "no release is published yet; run `vitrine publish --data DIR` first");
    }
    const current: Loaded = active;
    if (!release || release === current.index.info.id) return current;
    let p = others.get(release);
    if (!p) {
      p = load(release);
      others.set(release, p);
      p.catch(() => others.delete(release));
    }
    return p;
  }

  const withInfo = (info: ReleaseInfo, activeId: string | null): ReleaseInfo => ({ ...info, active: info.id === activeId });
  // The edge follows a switch through the same function as the CLI's (lancedb switchRelease).
  const edgeEnv = opts.edgeEnv ?? process.env;
  const edgeChoice = (o: SwitchOptions | undefined): EdgeChoice => ({
    kv: o?.edge === false ? null : edgeKvFromFlags({}, edgeEnv, o?.edge === true ? '"edge": true' : undefined),
    skip: o?.edge === false,
    skipHint: 'send "edge": false (REST: ?edge=false)',
  });

  return {
    async retrieve(req: RetrieveRequest): Promise<RetrieveResult> {
      const l = await pick(req.release);
      return retrieveFrom(l.index, l.encoder, req, { exactLimit });
    },
    async similar(req: SimilarRequest): Promise<SimilarResult> {
      const l = await pick(req.release);
      return similarFrom(l.index, req, { exactLimit });
    },
    async lookup(query: string, release?: string): Promise<LookupResult> {
      const l = await pick(release);
      const { qid, terms } = queryId(query);
      const list = l.index.qidList(qid, terms);
      return { qid, terms, hit: list !== null, listLength: list?.rows.length ?? 0, release: l.index.info.id };
    },
    async getItems(ids: string[], release?: string): Promise<ItemRecord[]> {
      const l = await pick(release);
      const out: ItemRecord[] = [];
      for (const id of ids) {
        const r = l.index.rowOf.get(id);
        if (r !== undefined) out.push(l.index.record(r));
      }
      return out;
    },
    async listReleases(): Promise<ReleaseInfo[]> {
      return listReleases(opts.dataDir);
    },
    async activate(release: string, o?: SwitchOptions): Promise<ReleaseInfo> {
      const { release: info } = await switchRelease({ dataDir: opts.dataDir, action: { activate: release }, edge: edgeChoice(o) }).catch(mapStoreError);
      await refreshAfterWrite();
      return withInfo(info, active?.index.info.id ?? null);
    },
    async rollback(o?: SwitchOptions): Promise<ReleaseInfo> {
      const { release: info } = await switchRelease({ dataDir: opts.dataDir, action: { rollback: true }, edge: edgeChoice(o) }).catch(mapStoreError);
      await refreshAfterWrite();
      return withInfo(info, active?.index.info.id ?? null);
    },
    async health() {
      return { ok: true, release: active?.index.info.id ?? null };
    },
    activeRelease() {
      return active?.index.info.id ?? null;
    },
    async releaseIndex(release?: string) {
      return (await pick(release)).index;
    },
    async close() {
      if (timer) clearInterval(timer);
      await loading?.catch(() => undefined);
    },
  };
}
