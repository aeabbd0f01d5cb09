// `vitrine edge status|sync|detach`: the table (the runner is lancedb/edge-command.ts).
import { defineVerb } from "../spec.ts";
import { EDGE_CREDENTIAL_FLAGS } from "./common.ts";

export const EDGE = defineVerb({
  name: "edge",
  summary: "compare the edge's pointer (Workers KV) with the origin's active release, and repair drift",
  subverbNoun: "action",
  defaultSubverb: "status",
  subverbs: {
    status: { summary: "origin and edge pointers side by side; exits 5 when they differ or the edge's release is incomplete in KV" },
    sync: { summary: "point the edge at the origin's active release (pushing its keys first when KV lacks them)" },
    detach: { summary: "forget this data directory's edge (KV is left as it is): releases switch the origin alone again" },
  },
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "the data directory releases were published in" },
    ...EDGE_CREDENTIAL_FLAGS,
  },
  notes: "status and sync read Workers KV (credentials needed); exit 0: the edge serves the origin's release.",
  examples: ["vitrine edge status --data data/demo", "vitrine edge sync --data data/demo"],
});
