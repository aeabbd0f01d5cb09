// `vitrine keys list|create|revoke`: the table (the runner is api/cli.ts).
import { defineVerb } from "../spec.ts";

/** What a key id may be (the server config's rule). */
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export const KEYS = defineVerb({
  name: "keys",
  summary: "create, list and revoke the API keys `vitrine serve` reads from the data directory",
  subverbNoun: "action",
  defaultSubverb: "list",
  subverbs: {
    list: { summary: "the keys' ids, roles and creation times (never the secrets)" },
    create: {
      summary: "a new key: prints its secret (stdout) and keeps it in DIR/api-keys.json, mode 0600",
      args: [{ name: "ID", pattern: KEY_ID, expect: "a key id: 1–64 letters, digits, '_', '.' or '-'" }],
    },
    revoke: {
      summary: "remove a key (a running server keeps it until it restarts)",
      args: [{ name: "ID", pattern: KEY_ID, expect: "a key id: 1–64 letters, digits, '_', '.' or '-'" }],
    },
  },
  flags: {
    data: { type: "string", value: "DIR", required: true, env: "VITRINE_DATA", help: "the data directory `vitrine serve --data` serves" },
    role: {
      type: "enum",
      choices: ["read", "admin", "search"],
      default: "read",
      subverbs: ["create"],
      help: "what the key may do: read (retrieve, items, releases.list), admin (also releases and jobs), or search (retrieve, items.get and similar only: the key a storefront page ships)",
    },
    origin: {
      type: "string",
      value: "ORIGIN",
      multiple: true,
      subverbs: ["create"],
      help: "a web origin the key may be used from (scheme://host[:port]; repeat for more); absent: any",
    },
  },
  notes: `vitrine serve --data DIR uses DIR/api-keys.json when no keys are configured (VITRINE_API_KEYS or
"keys" in the config file win over it); with no keys anywhere it refuses to start. Keys are read at
start: restart the server after create or revoke.`,
  examples: [
    "vitrine keys create shop --data data/shop",
    "vitrine keys create ops --role admin --data data/shop",
    "vitrine keys create web --role search --origin https://shop.example --data data/shop",
    "vitrine keys list --data data/shop",
    "vitrine keys revoke shop --data data/shop",
  ],
});
