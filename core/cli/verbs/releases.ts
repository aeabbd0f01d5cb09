// `vitrine releases list|activate|rollback|gc`: the table (the runner is lancedb/cli.ts).
import { defineVerb } from "../spec.ts";
import { RELEASE_ID } from "./common.ts";

export const RELEASES = defineVerb({
  name: "releases",
  summary: "list, activate, roll back and garbage-collect releases",
  subverbNoun: "action",
  defaultSubverb: "list",
  subverbs: {
    list: { summary: "complete releases, newest first, the active one marked" },
    activate: {
      summary: "point readers at a release (one write; servers switch without a failed request)",
      args: [{ name: "rNNN", pattern: RELEASE_ID, expect: "a release id like r003" }],
    },
    rollback: { summary: "go back to the release active before the current one" },
    gc: { summary: "drop all but the active release, the one rollback returns to, and the N newest (needs --keep N)" },
  },
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "the data directory releases were published in" },
    keep: { type: "int", min: 0, subverbs: ["gc"], help: "complete releases to keep besides the active one and its rollback target" },
  },
  examples: ["vitrine releases list --data data/demo", "vitrine releases activate r002 --data data/demo", "vitrine releases gc --keep 3 --data data/demo"],
});
