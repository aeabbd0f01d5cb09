// Cloudflare Workers entry without jieba's dictionary (`npx wrangler deploy api/edge/worker-lite.ts`):
// a bundle of ≈ 0.2 MiB gzipped, far under the free plan's 3 MiB. Queries with Han characters go
// to the origin (the edge cannot segment them); everything else is answered as by worker.ts.
import { createWorker } from "./worker-entry.ts";

export default createWorker({ dictionary: null });

// The per-key rate limit's Durable Object class (wrangler.toml [[durable_objects.bindings]]).
export { EdgeRateLimiter } from "./shared-rate-limit.ts";
