// Flags several verbs share, so they read the same everywhere.
import { BACKEND_NAMES, PRESET_NAMES } from "../../jobs/constants.ts";

/** `--backend`: force a TF.js backend (training and eval verbs). */
export const BACKEND_FLAG = {
  type: "enum",
  choices: BACKEND_NAMES,
  defaultText: "the fastest that starts",
  help: "force a TF.js backend",
} as const;

/** `--preset`: the model preset. */
export const PRESET_CHOICES = PRESET_NAMES;

/** A release id as the store names them. */
export const RELEASE_ID = /^r\d{3,}$/;

/** Seeds: what 32-bit seeded generators take. */
export const MAX_SEED = 4_294_967_295;

const EDGE_GROUP = "edge (Workers KV)";

/** The Cloudflare credentials of the edge's KV namespace (`publish --edge`, `releases`, `edge`). */
export const EDGE_CREDENTIAL_FLAGS = {
  "edge-account": { type: "string", value: "ID", env: "CLOUDFLARE_ACCOUNT_ID", help: "Cloudflare account id", group: EDGE_GROUP },
  "edge-namespace": { type: "string", value: "ID", env: "VITRINE_EDGE_KV_NAMESPACE", help: "id of the KV namespace bound as QIDS in wrangler.toml", group: EDGE_GROUP },
  "edge-token": {
    type: "string",
    value: "TOKEN",
    env: "CLOUDFLARE_API_TOKEN",
    help: 'API token with "Workers KV Storage: Edit" (prefer the variable: flags land in shell history)',
    group: EDGE_GROUP,
  },
  "edge-endpoint": {
    type: "string",
    value: "URL",
    env: "VITRINE_EDGE_KV_ENDPOINT",
    defaultText: "https://api.cloudflare.com/client/v4",
    help: "API base",
    group: EDGE_GROUP,
  },
} as const;

/** `--no-edge`: change the origin alone although the data directory has an edge. */
export const NO_EDGE_FLAG = {
  type: "boolean",
  help: "leave the edge (Workers KV) where it is although this data directory has one; `vitrine edge status` then reports the drift",
  group: EDGE_GROUP,
} as const;
