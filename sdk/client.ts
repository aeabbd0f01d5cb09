// createClient: the typed Vitrine client over tRPC (httpLink to `${url}/trpc`, key in a header).
import { createTRPCClient, httpLink } from "@trpc/client";
import { toVitrineError } from "./errors.ts";
import type { AppRouter } from "../api/router.ts";
import type { Health, ItemRecord, LookupResult, ReleaseInfo, ReleaseOption, RetrieveOptions, RetrieveResult } from "./types.ts";

/** Options of createClient. */
export interface ClientOptions {
  /** Base URL of the API, e.g. http://localhost:8787 (no trailing /trpc). */
  url: string;
  /** API key (read, or admin for release changes); sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** fetch to use (default: the global one); for tests, proxies, or runtimes without fetch. */
  fetch?: typeof fetch;
  /** Extra headers on every request (e.g. x-request-id). */
  headers?: Record<string, string>;
}

/** The Vitrine client. */
export interface VitrineClient {
  /** Retrieve items for a query: `retrieve("red floral dress", { k: 50, filters: { brand: "Acme" } })`. */
  retrieve(query: string, options?: RetrieveOptions): Promise<RetrieveResult>;
  /** The qid of a query and whether the release has a precomputed list for it. */
  lookup(query: string, options?: ReleaseOption): Promise<LookupResult>;
  /** Item records. */
  items: {
    /** Records by id (up to 1000), in the order asked; unknown ids are left out. */
    get(ids: string[], options?: ReleaseOption): Promise<ItemRecord[]>;
  };
  /** Releases. */
  releases: {
    /** Complete releases, newest first. */
    list(): Promise<ReleaseInfo[]>;
    /** Make a release the active one (admin key). */
    activate(release: string): Promise<ReleaseInfo>;
    /** Re-activate the release active before the current one (admin key). */
    rollback(): Promise<ReleaseInfo>;
  };
  /** Liveness and the active release (no key needed). */
  health(): Promise<Health>;
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toVitrineError(e);
  }
}

/** Create a client for the Vitrine API at `url`. */
export function createClient(options: ClientOptions): VitrineClient {
  const base = options.url.replace(/\/+$/, "");
  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${base}/trpc`,
        // Queries go as POST: filters and id lists can outgrow a URL (the server allows the override).
        methodOverride: "POST",
        headers: () => ({ ...options.headers, authorization: `Bearer ${options.apiKey}` }),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
  return {
    retrieve: (query, opts) => call(() => trpc.retrieve.query({ ...opts, query })),
    lookup: (query, opts) => call(() => trpc.lookup.query({ ...opts, query })),
    items: {
      get: (ids, opts) => call(async () => (await trpc.items.get.query({ ...opts, ids })).items),
    },
    releases: {
      list: () => call(async () => (await trpc.releases.list.query()).releases),
      activate: (release) => call(() => trpc.releases.activate.mutate({ release })),
      rollback: () => call(() => trpc.releases.rollback.mutate()),
    },
    health: () => call(() => trpc.health.query()),
  };
}
