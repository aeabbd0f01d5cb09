// `vitrine releases list|activate|rollback|gc`: the table (the runner is lancedb/cli.ts).
import { defineVerb } from "../spec.ts";
import { EDGE_CREDENTIAL_FLAGS, NO_EDGE_FLAG, RELEASE_ID } from "./common.ts";

const SWITCHES = ["activate", "rollback", "gc"] as const;

export const RELEASES = defineVerb({
  name: "releases",
  summary: "list, activate, roll back and garbage-collect releases (the edge follows)",
  subverbNoun: "action",
  defaultSubverb: "list",
  subverbs: {
    list: { summary: "complete releases, newest first, the active one marked, and where the edge stands" },
    activate: {
      summary: "point readers at a release (one write; servers switch without a failed request), and the edge with them",
      args: [{ name: "rNNN", pattern: RELEASE_ID, expect: "a release id like r003" }],
    },
    rollback: { summary: "go back to the release active before the current one, at the origin and the edge" },
    gc: { summary: "drop all but the active release, the one rollback returns to, the edge's, and the N newest (needs --keep N); their KV keys too" },
  },
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "the data directory (or s3://, az:// or gs:// store) releases were published in" },
    keep: { type: "int", min: 0, subverbs: ["gc"], help: "complete releases to keep besides the active one and its rollback target" },
    "no-edge": { ...NO_EDGE_FLAG, subverbs: SWITCHES },
    "edge-account": { ...EDGE_CREDENTIAL_FLAGS["edge-account"], subverbs: SWITCHES },
    "edge-namespace": { ...EDGE_CREDENTIAL_FLAGS["edge-namespace"], subverbs: SWITCHES },
    "edge-token": { ...EDGE_CREDENTIAL_FLAGS["edge-token"], subverbs: SWITCHES },
    "edge-endpoint": { ...EDGE_CREDENTIAL_FLAGS["edge-endpoint"], subverbs: SWITCHES },
  },
  notes: [
    "When the data directory has an edge (a publish pushed to Workers KV), activate and rollback",
    "move the edge's pointer too and gc deletes the KV keys of the releases it drops: that needs",
    "the Cloudflare credentials, else they refuse unless --no-edge.",
  ].join("\n"),
  examples: [
    "vitrine releases list --data data/demo",
    "vitrine releases activate r002 --data data/demo",
    "vitrine releases rollback --data data/demo --no-edge",
    "vitrine releases gc --keep 3 --data data/demo",
  ],
});
