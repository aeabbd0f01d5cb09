// The edge's command-line side: the `--edge` options of `vitrine publish` (flags in
// core/cli/verbs/publish.ts; credentials through edge-credentials.ts), a progress bar on stderr, and
// the summary lines. The work is pushReleaseToEdge (edge-push.ts) and switchRelease.
import cliProgress from "cli-progress";
import { edgeKvFromFlags, type EdgeCredentialFlags } from "./edge-credentials.ts";
import type { KvClient } from "./edge-kv-http.ts";
import { pushReleaseToEdge, type EdgePushProgress, type EdgePushResult } from "./edge-push.ts";

/** The edge flags of `vitrine publish` as parsed (the publish table checks their types, and that they come with --edge). */
export interface EdgeFlagValues extends EdgeCredentialFlags {
  /** Push to Workers KV. */
  edge?: boolean;
  /** Push this existing release (rNNN or "active") instead of publishing. */
  release?: string;
  /** Items per list pushed. */
  "edge-list-length"?: number;
  /** Do not move the edge's pointer. */
  "edge-no-flip"?: boolean;
}

/** A prepared push: checked before a publish starts, so missing credentials fail in a second, not after it. */
export interface EdgePlan {
  /** Release to push without publishing ("active" resolves at push time), or null: the one published. */
  release: string | null;
  /** Where the pairs go. */
  writer: KvClient;
  /** Items per list, when limited. */
  maxListLength?: number;
  /** false: leave the pointer alone. */
  flip?: boolean;
}

/** The push the edge flags ask for; null when --edge is absent. Throws EdgePushError("BAD_OPTION") when credentials are missing. */
export function edgePlanFromFlags(v: EdgeFlagValues, env: Record<string, string | undefined>): EdgePlan | null {
  if (!v.edge) return null;
  const maxListLength = v["edge-list-length"];
  return {
    release: v.release ?? null,
    writer: edgeKvFromFlags(v, env, "--edge")!,
    ...(maxListLength !== undefined ? { maxListLength } : {}),
    ...(v["edge-no-flip"] ? { flip: false } : {}),
  };
}

const kb = (b: number) => (b < 1e6 ? `${(b / 1e3).toFixed(1)} kB` : `${(b / 1e6).toFixed(1)} MB`);

/** One line on what a push did. */
export function formatEdgePush(r: EdgePushResult): string {
  return `edge: pushed ${r.release} — ${r.qids} qid lists, ${r.keys} keys in ${r.batches} bulk request(s) (${kb(r.bytes)}), ${r.retries} retries, ${
    r.flipped ? "edge pointer → " + r.release : "pointer unchanged (not the active release, or --edge-no-flip)"
  }, ${r.seconds.toFixed(1)} s`;
}

/** A progress bar on stderr for a push (started by its first report); stop() it when done. */
export function edgeProgressBar(): { onProgress: (p: EdgePushProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({ format: " edge {release} {stage} [{bar}] {value}/{total}", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    onProgress: (p) => {
      if (!started) bar.start(Math.max(1, p.total), p.done, { release: p.release, stage: p.stage });
      else bar.setTotal(Math.max(1, p.total));
      started = true;
      bar.update(p.done, { release: p.release, stage: p.stage });
    },
    stop: () => bar.stop(),
  };
}

/** Run a planned push with a progress bar; `release` is the one just published when the plan names none. */
export async function runEdgePush(dataDir: string, plan: EdgePlan, published: { id: string; active: boolean } | null): Promise<EdgePushResult> {
  const release = plan.release === "active" ? undefined : (plan.release ?? published?.id);
  const bar = edgeProgressBar();
  try {
    return await pushReleaseToEdge({
      dataDir,
      writer: plan.writer,
      ...(release ? { release } : {}),
      ...(plan.maxListLength !== undefined ? { maxListLength: plan.maxListLength } : {}),
      ...(plan.flip === false ? { flip: false } : published && plan.release === null ? { flip: published.active } : {}),
      onProgress: bar.onProgress,
    });
  } finally {
    bar.stop();
  }
}
