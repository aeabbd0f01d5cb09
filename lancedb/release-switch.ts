// The one home of a release switch that the edge follows (DESIGN §5–6): `vitrine releases
// activate|rollback`, REST and tRPC (through the retrieval service) and the job's publish stage all
// call switchRelease. When the store has an edge (edge-record.ts) the edge's pointer moves with the
// origin's — or the switch is refused, naming the caller's way to leave the edge alone.
import type { ReleaseInfo } from "../core/index.ts";
import { openStore } from "./connect.ts";
import { EDGE_CREDENTIAL_VARS } from "./edge-credentials.ts";
import { EdgePushError, type KvClient } from "./edge-kv-http.ts";
import { moveEdgePointer, readKvMeta } from "./edge-pointer.ts";
import { pushReleaseToEdge, type EdgePushProgress, type EdgePushResult } from "./edge-push.ts";
import { hasEdge, readEdgeRecord } from "./edge-record.ts";
import { StoreError } from "./errors.ts";
import { activateRelease, getActiveRelease, rollbackRelease, rollbackTarget } from "./release-ops.ts";

/** How an operation that changes what the origin serves (or collects releases) treats the edge. */
export interface EdgeChoice {
  /** The edge's KV, from the caller's credentials; null when none were given. */
  kv: KvClient | null;
  /** Leave the edge alone even when the store has one (--no-edge, `edge: false`). */
  skip?: boolean;
  /** How the caller spells "leave the edge alone", for the refusal: "--no-edge", '"edge": false'. */
  skipHint: string;
}

/**
 * The KV client to bring the edge along with, or null to leave it (skipped, or the store has no
 * edge and no credentials were given). A store with an edge and no credentials is refused
 * (EDGE_REQUIRED): the origin would move and the edge keep serving the old release.
 */
export async function edgeToFollow(dataDir: string, choice: EdgeChoice, doing: string): Promise<KvClient | null> {
  if (choice.skip) return null;
  if (choice.kv) return choice.kv;
  const record = await readEdgeRecord(await openStore(dataDir));
  if (!hasEdge(record)) return null;
  const serving = record.pointer ? `serves ${record.pointer.release}` : `holds ${record.releases.join(", ")}`;
  throw new EdgePushError(
    "EDGE_REQUIRED",
    `this data directory has an edge (its Workers KV ${serving}), and ${doing} without moving it would leave the two apart; give the Cloudflare credentials (${EDGE_CREDENTIAL_VARS}, or the --edge-* flags) to bring the edge along, or ${choice.skipHint} to change the origin alone (\`vitrine edge status\` then reports the drift and \`vitrine edge sync\` repairs it)`,
  );
}

/**
 * The edge a publish brings along: `want` true (--edge, publish.edge: true) pushes with `kv`; false
 * leaves the edge alone; absent follows the data directory: when it has an edge and the publish
 * activates, the edge must come too (refused without credentials); otherwise nothing is pushed.
 */
export async function edgeForPublish(dataDir: string, kv: KvClient | null, want: boolean | undefined, activate: boolean, skipHint: string): Promise<KvClient | null> {
  if (want !== undefined) return want ? kv : null;
  if (!activate || !hasEdge(await readEdgeRecord(await openStore(dataDir)))) return null;
  return edgeToFollow(dataDir, { kv, skipHint }, "publishing an active release");
}

/** What to switch to. */
export type ReleaseAction = { activate: string } | { rollback: true };

/** Options of switchRelease. */
export interface SwitchReleaseOptions {
  /** Data directory holding store/. */
  dataDir: string;
  /** Activate a release, or roll back to the previous one. */
  action: ReleaseAction;
  /** The edge. */
  edge: EdgeChoice;
  /** Progress of a push of the target's keys (only when they are not in KV yet). */
  onEdgeProgress?: (p: EdgePushProgress) => void;
}

/** What switchRelease did. */
export interface SwitchResult {
  /** The release the origin serves now. */
  release: ReleaseInfo;
  /** The edge's side: null when it was left alone. */
  edge: { release: string; pushed: EdgePushResult | null } | null;
}

/**
 * Switch the origin to a release and bring the edge along: the target's keys are put in KV first
 * (pushed when its meta record is missing), so nothing has changed yet if that fails; then the
 * origin's pointer moves, then the edge's (one small write each).
 */
export async function switchRelease(opts: SwitchReleaseOptions): Promise<SwitchResult> {
  const { dataDir, action } = opts;
  const doing = "activate" in action ? `activating ${action.activate}` : "rolling back";
  const kv = await edgeToFollow(dataDir, opts.edge, doing);
  const pushed = kv ? await ensureOnEdge(dataDir, kv, "activate" in action ? action.activate : await rollbackTarget(dataDir), opts.onEdgeProgress) : null;
  const release = "activate" in action ? await activateRelease(dataDir, action.activate) : await rollbackRelease(dataDir);
  if (!kv) return { release, edge: null };
  try {
    await moveEdgePointer(dataDir, kv, release.id, { verified: true });
  } catch (e) {
    const err = e instanceof EdgePushError ? e : new EdgePushError("KV_UNAVAILABLE", (e as Error).message, { cause: e });
    throw new EdgePushError(err.code, `the origin now serves ${release.id} but the edge's pointer did not move (${err.message}); \`vitrine edge sync --data DIR\` moves it`, { cause: e });
  }
  return { release: { ...release, edge: "serving" }, edge: { release: release.id, pushed } };
}

/** Push a release's keys unless KV already has its meta record (a complete push); the push's result, or null. */
async function ensureOnEdge(dataDir: string, kv: KvClient, release: string, onProgress?: (p: EdgePushProgress) => void): Promise<EdgePushResult | null> {
  if (await readKvMeta(kv, release)) return null;
  return pushReleaseToEdge({ dataDir, writer: kv, release, flip: false, ...(onProgress ? { onProgress } : {}) });
}

/** Point the edge at the origin's active release (`vitrine edge sync`), pushing its keys first when KV lacks them. */
export async function syncEdge(dataDir: string, kv: KvClient, onProgress?: (p: EdgePushProgress) => void): Promise<{ release: string; pushed: EdgePushResult | null }> {
  const active = await getActiveRelease(dataDir);
  if (!active) throw new StoreError("NO_ACTIVE_RELEASE", "no release is active at the origin yet; run `vitrine publish` first");
  const pushed = await ensureOnEdge(dataDir, kv, active.id, onProgress);
  await moveEdgePointer(dataDir, kv, active.id, { verified: true });
  return { release: active.id, pushed };
}
