// `vitrine edge status|sync|detach --data DIR` (flags: core/cli/verbs/edge.ts): the drift check an
// operator alerts on (exit 0 only when the edge's pointer in KV names the origin's active release
// and that release is complete there), its repair, and forgetting an edge that is gone.
import { runVerb } from "../core/cli/index.ts";
import { EDGE } from "../core/cli/verbs/index.ts";
import { openStore } from "./connect.ts";
import { edgeProgressBar } from "./edge-cli.ts";
import { edgeKvFromFlags } from "./edge-credentials.ts";
import { EdgePushError, type KvClient } from "./edge-kv-http.ts";
import { readKvMeta, readKvPointer } from "./edge-pointer.ts";
import { dropEdgeRecord, readEdgeRecord } from "./edge-record.ts";
import { getActiveRelease } from "./release-ops.ts";
import { syncEdge } from "./release-switch.ts";

/** Origin and edge side by side. */
export interface EdgeStatus {
  /** The origin's active release. */
  origin: string | null;
  /** The release KV's pointer names, when it was written, and its fallback. */
  edge: { release: string; previous: string | null; pushedAt: string; complete: boolean } | null;
  /** The pointer as this data directory last moved it. */
  recorded: string | null;
  /** Releases with keys in KV (per the store's record), and whether each push completed. */
  releases: { release: string; complete: boolean }[];
  /** The edge serves what the origin serves. */
  inSync: boolean;
}

/** Read both pointers (KV itself for the edge's). */
export async function edgeStatus(dataDir: string, kv: KvClient): Promise<EdgeStatus> {
  const [origin, record, pointer] = await Promise.all([getActiveRelease(dataDir), readEdgeRecord(await openStore(dataDir)), readKvPointer(kv)]);
  const complete = async (r: string) => (await readKvMeta(kv, r)) !== null;
  const edge = pointer ? { release: pointer.release, previous: pointer.previous ?? null, pushedAt: pointer.pushedAt, complete: await complete(pointer.release) } : null;
  const releases = await Promise.all(record.releases.map(async (release) => ({ release, complete: await complete(release) })));
  return { origin: origin?.id ?? null, edge, recorded: record.pointer?.release ?? null, releases, inSync: edge !== null && edge.complete && edge.release === origin?.id };
}

/** The status table and, when apart, what is wrong. */
export function formatEdgeStatus(s: EdgeStatus): { text: string; problem: string | null } {
  const rows = [
    ["origin active", s.origin ?? "none"],
    ["edge pointer (KV)", s.edge ? `${s.edge.release}${s.edge.complete ? "" : " (INCOMPLETE in KV)"}, written ${s.edge.pushedAt}${s.edge.previous ? `, fallback ${s.edge.previous}` : ""}` : "none"],
    ["recorded here", s.recorded ?? "none"],
    ["releases in KV", s.releases.map((r) => `${r.release}${r.complete ? "" : " (incomplete)"}`).join(", ") || "none recorded"],
  ];
  const width = Math.max(...rows.map(([k]) => k!.length));
  const text = rows.map(([k, v]) => `${k!.padEnd(width)}  ${v}`).join("\n");
  let problem: string | null = null;
  if (!s.edge) problem = `the edge has no pointer: it forwards every request to the origin; \`vitrine edge sync\` points it at ${s.origin ?? "the active release"}`;
  else if (!s.edge.complete) problem = `the edge's pointer names ${s.edge.release}, whose keys are incomplete in KV: isolates keep serving what they served before; \`vitrine edge sync\` repairs it`;
  else if (s.edge.release !== s.origin) problem = `the edge serves ${s.edge.release} but the origin serves ${s.origin ?? "nothing"}; \`vitrine edge sync\` points the edge at the origin's release`;
  return { text, problem };
}

/** `vitrine edge status|sync|detach`. */
export function edgeCommand(argv: string[]): Promise<number> {
  return runVerb(
    EDGE,
    argv,
    async ({ subverb, values }) => {
      const dir = values.data;
      if (subverb === "detach") {
        await dropEdgeRecord(await openStore(dir));
        console.log(`forgot the edge of ${dir}: releases switch the origin alone again (Workers KV is untouched)`);
        return 0;
      }
      const kv = edgeKvFromFlags(values, process.env, `vitrine edge ${subverb}`)!;
      if (subverb === "sync") {
        const bar = edgeProgressBar();
        try {
          const r = await syncEdge(dir, kv, bar.onProgress);
          bar.stop();
          console.log(`edge: pointer → ${r.release}${r.pushed ? ` (its ${r.pushed.qids} qid lists pushed first)` : ""}`);
        } finally {
          bar.stop();
        }
        return 0;
      }
      const { text, problem } = formatEdgeStatus(await edgeStatus(dir, kv));
      console.log(text);
      if (problem) throw new EdgePushError("EDGE_DRIFT", problem);
      console.log("in sync: the edge serves the origin's active release");
      return 0;
    },
    { env: process.env },
  );
}
