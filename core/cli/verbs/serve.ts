// `vitrine serve`: the table (the runner is api/cli.ts).
import { defineVerb } from "../spec.ts";

export const SERVE = defineVerb({
  name: "serve",
  summary: "serve the API (tRPC at /trpc, REST at /v1, /healthz, /metrics) on the embedded LanceDB",
  usage: ["--data DIR [--port N] [--host H] [--config FILE] [--workers N]"],
  flags: {
    data: { type: "string", value: "DIR", env: "VITRINE_DATA", help: "data directory with a published release, or an s3://, az:// or gs:// store (or dataDir in the config file)" },
    port: { type: "int", min: 0, max: 65_535, env: "VITRINE_PORT", defaultText: "8787", help: "port (0: any free one)" },
    host: { type: "string", value: "H", env: "VITRINE_HOST", defaultText: "127.0.0.1", help: "interface to bind" },
    config: { type: "string", value: "FILE", env: "VITRINE_CONFIG", help: "JSON config; flags win over the environment, which wins over the file" },
    workers: {
      type: "int",
      min: 1,
      max: 64,
      env: "VITRINE_WORKERS",
      defaultText: "1",
      help: "processes sharing the port (node:cluster), each holding the release and 1/N of the rate limits; needs VITRINE_JOBS=off above 1",
    },
  },
  notes: `Keys: VITRINE_API_KEYS="id:key:read,id2:key2:admin" or "keys" in the config file; else
DIR/api-keys.json, which \`vitrine keys create ID --data DIR\` writes (mode 0600). With no keys
anywhere, serve refuses to start (exit 4). The active release is followed: activating another one
switches the server without a failed request.`,
  examples: ["vitrine serve --data data/demo --port 8787"],
});
