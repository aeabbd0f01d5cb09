// The `--edge` options of `vitrine publish` (flags in core/cli/verbs/publish.ts): credentials from
// flags or the environment, a progress bar on stderr, and the summary line. The work is
// pushReleaseToEdge (edge-push.ts).
import cliProgress from "cli-progress";
import { createCloudflareKvWriter, EdgePushError, type KvBulkWriter } from "./edge-kv-http.ts";
import { pushReleaseToEdge, type EdgePushResult } from "./edge-push.ts";

/** The edge flags as parsed (the publish table checks their types, and that they come with --edge). */
export interface EdgeFlagValues {
  /** Push to Workers KV. */
  edge?: boolean;
  /** Push this existing release (rNNN or "active") instead of publishing. */
  release?: string;
  /** Cloudflare account id (else CLOUDFLARE_ACCOUNT_ID). */
  "edge-account"?: string;
  /** KV namespace id (else VITRINE_EDGE_KV_NAMESPACE). */
  "edge-namespace"?: string;
  /** API token (else CLOUDFLARE_API_TOKEN; prefer the variable: flags land in shell history). */
  "edge-token"?: string;
  /** API base URL (else VITRINE_EDGE_KV_ENDPOINT, else Cloudflare's). */
  "edge-endpoint"?: string;
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
  writer: KvBulkWriter;
  /** Items per list, when limited. */
  maxListLength?: number;
  /** false: leave the pointer alone. */
  flip?: boolean;
}

/** The push the edge flags ask for; null when --edge is absent. Throws EdgePushError("BAD_OPTION") when credentials are missing. */
export function edgePlanFromFlags(v: EdgeFlagValues, env: Record<string, string | undefined>): EdgePlan | null {
  if (!v.edge) return null;
  const maxListLength = v["edge-list-length"];
  const need = (flag: string, name: string, value: string | undefined) => {
    if (!value) throw new EdgePushError("BAD_OPTION", `--edge needs ${flag} or ${name}`);
    return value;
  };
  let retries = 0;
  const writer = createCloudflareKvWriter({
    accountId: need("--edge-account", "CLOUDFLARE_ACCOUNT_ID", v["edge-account"] ?? env.CLOUDFLARE_ACCOUNT_ID),
    namespaceId: need("--edge-namespace", "VITRINE_EDGE_KV_NAMESPACE", v["edge-namespace"] ?? env.VITRINE_EDGE_KV_NAMESPACE),
    apiToken: need("--edge-token", "CLOUDFLARE_API_TOKEN", v["edge-token"] ?? env.CLOUDFLARE_API_TOKEN),
    ...((v["edge-endpoint"] ?? env.VITRINE_EDGE_KV_ENDPOINT) ? { endpoint: (v["edge-endpoint"] ?? env.VITRINE_EDGE_KV_ENDPOINT)! } : {}),
    onRetry: ({ attempt, status, delayMs, keys }) => {
      // Retries are worth a line each: a stuck push should say why.
      if (++retries <= 20) console.error(`edge: retry ${attempt} of a ${keys}-key batch after ${status ?? "network error"} in ${Math.round(delayMs)} ms`);
    },
  });
  return {
    release: v.release ?? null,
    writer,
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

/** Run a planned push with a progress bar; `release` is the one just published when the plan names none. */
export async function runEdgePush(dataDir: string, plan: EdgePlan, published: { id: string; active: boolean } | null): Promise<EdgePushResult> {
  const release = plan.release === "active" ? undefined : (plan.release ?? published?.id);
  const bar = new cliProgress.SingleBar({ format: " edge {release} {stage} [{bar}] {value}/{total}", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  try {
    const r = await pushReleaseToEdge({
      dataDir,
      writer: plan.writer,
      ...(release ? { release } : {}),
      ...(plan.maxListLength !== undefined ? { maxListLength: plan.maxListLength } : {}),
      ...(plan.flip === false ? { flip: false } : published && plan.release === null ? { flip: published.active } : {}),
      onProgress: (p) => {
        if (!started) bar.start(Math.max(1, p.total), p.done, { release: p.release, stage: p.stage });
        else bar.setTotal(Math.max(1, p.total));
        started = true;
        bar.update(p.done, { release: p.release, stage: p.stage });
      },
    });
    return r;
  } finally {
    bar.stop();
  }
}
