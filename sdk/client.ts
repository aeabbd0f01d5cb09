// createClient: the typed Vitrine client over tRPC (httpLink to `${url}/trpc`, key in a header).
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import { toVitrineError, VitrineError } from "./errors.ts";
import type { AppRouter } from "../api/http/index.ts";
import type { JobConfig, JobEvent, JobKind, JobRecord, ListJobsOptions } from "./job-types.ts";
import type { Health, ItemRecord, LookupResult, ReleaseInfo, ReleaseOption, RetrieveOptions, RetrieveRequest, RetrieveResult, SimilarOptions, SimilarResult } from "./types.ts";

/** One result of retrieveMany, in the order asked: the answer, or that query's error. */
export type RetrieveManyResult = { ok: true; result: RetrieveResult } | { ok: false; error: VitrineError };

/** Most queries one retrieveMany call sends (the server's tRPC batch limit). */
export const MAX_RETRIEVE_MANY = 16;

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
  /**
   * Retrieve items for a query: `retrieve("red floral dress", { k: 50, filters: { brand: "Acme" } })`.
   * A page: `{ k: 20, offset: 40 }`, or `{ k: 20, cursor: previous.nextCursor }`; facet counts: `{ facets: ["brand", "category", "price"] }`.
   */
  retrieve(query: string, options?: RetrieveOptions): Promise<RetrieveResult>;
  /**
   * Several retrieves in one HTTP request (a tRPC batch; at most MAX_RETRIEVE_MANY): results in the
   * order asked, each `{ ok: true, result }` or `{ ok: false, error }` — one query's failure (a bad
   * filter, an unknown release) does not fail the others. More than MAX_RETRIEVE_MANY queries throw
   * a VitrineError (INVALID_INPUT) before anything is sent.
   */
  retrieveMany(requests: RetrieveRequest[]): Promise<RetrieveManyResult[]>;
  /** Items similar to one item (its vector in the release's item space), the item left out: `similar("sku-1", { k: 10, filters: { price: { lte: 80 } } })`. */
  similar(id: string, options?: SimilarOptions): Promise<SimilarResult>;
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
    /** Make a release the active one (admin key); the edge follows unless `{ edge: false }`. */
    activate(release: string, options?: { edge?: boolean }): Promise<ReleaseInfo>;
    /** Re-activate the release active before the current one (admin key); the edge follows unless `{ edge: false }`. */
    rollback(options?: { edge?: boolean }): Promise<ReleaseInfo>;
  };
  /** Jobs: retrain and its stages, run by the API's job manager (trigger, cancel, resume need an admin key). */
  jobs: {
    /** Queue a job: `jobs.trigger({ kind: "retrain", config: { preset: "cpu" } })`. */
    trigger(input: { kind: JobKind; config?: JobConfig }): Promise<JobRecord>;
    /** A job's record. */
    get(id: string): Promise<JobRecord>;
    /** Jobs, newest first. */
    list(options?: ListJobsOptions): Promise<JobRecord[]>;
    /** Stop a queued or running job. */
    cancel(id: string): Promise<JobRecord>;
    /** Continue a failed, cancelled or interrupted job from its checkpoints. */
    resume(id: string): Promise<JobRecord>;
    /** The last lines of a job's log. */
    logs(id: string, tail?: number): Promise<string[]>;
    /**
     * Events of a job over server-sent events, until it ends: `for await (const e of client.jobs.watch(id))`.
     * The first event is a snapshot; each event carries the whole record. Break out (or abort) to stop.
     */
    watch(id: string, options?: { signal?: AbortSignal }): AsyncIterable<JobEvent>;
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
  const headers = () => ({ ...options.headers, authorization: `Bearer ${options.apiKey}` });
  const fetchImpl = options.fetch ?? ((input: string | URL | Request, init?: RequestInit) => fetch(input, init));
  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // Server-sent events; the eventsource ponyfill lets the key travel in a header, as elsewhere.
        true: httpSubscriptionLink({
          url: `${base}/trpc`,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input: string | URL | Request, init?: RequestInit) => fetchImpl(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers() } }),
          }),
        }),
        false: httpLink({
          url: `${base}/trpc`,
          // Queries go as POST: filters and id lists can outgrow a URL (the server allows the override).
          methodOverride: "POST",
          headers,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
      }),
    ],
  });
  // retrieveMany's own client: calls made in one tick leave as one batched request.
  const batch = createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${base}/trpc`, methodOverride: "POST", headers, ...(options.fetch ? { fetch: options.fetch } : {}) })],
  });
  return {
    retrieve: (query, opts) => call(() => trpc.retrieve.query({ ...opts, query })),
    retrieveMany: async (requests) => {
      if (requests.length > MAX_RETRIEVE_MANY) {
        const message = `retrieveMany takes at most ${MAX_RETRIEVE_MANY} queries per call (the API's batch limit), got ${requests.length}; split the list`;
        throw new VitrineError(message, { code: "INVALID_INPUT", status: 400, issues: [{ field: "requests", message }] });
      }
      const settled = await Promise.allSettled(requests.map((r) => batch.retrieve.query(r)));
      return settled.map((s) => (s.status === "fulfilled" ? { ok: true as const, result: s.value } : { ok: false as const, error: toVitrineError(s.reason) }));
    },
    similar: (id, opts) => call(() => trpc.similar.query({ ...opts, id })),
    lookup: (query, opts) => call(() => trpc.lookup.query({ ...opts, query })),
    items: {
      get: (ids, opts) => call(async () => (await trpc.items.get.query({ ...opts, ids })).items),
    },
    releases: {
      list: () => call(async () => (await trpc.releases.list.query()).releases),
      activate: (release, opts) => call(() => trpc.releases.activate.mutate({ ...opts, release })),
      rollback: (opts) => call(() => trpc.releases.rollback.mutate(opts)),
    },
    jobs: {
      trigger: (input) => call(() => trpc.jobs.trigger.mutate(input)),
      get: (id) => call(() => trpc.jobs.get.query({ id })),
      list: (opts) => call(async () => (await trpc.jobs.list.query(opts)).jobs),
      cancel: (id) => call(() => trpc.jobs.cancel.mutate({ id })),
      resume: (id) => call(() => trpc.jobs.resume.mutate({ id })),
      logs: (id, tail) => call(async () => (await trpc.jobs.logs.query({ id, ...(tail !== undefined ? { tail } : {}) })).lines),
      watch: (id, opts) => watchJob((handlers) => trpc.jobs.watch.subscribe({ id }, handlers), opts?.signal),
    },
    health: () => call(() => trpc.health.query()),
  };
}

type Handlers = { onData: (e: JobEvent) => void; onError: (err: unknown) => void; onComplete: () => void; onStopped: () => void };

// A tRPC subscription as an async iterator: events queue until read; the server ending the stream
// (the job reached a terminal state) ends the iteration; errors reject as VitrineError.
function watchJob(subscribe: (h: Handlers) => { unsubscribe(): void }, signal?: AbortSignal): AsyncIterable<JobEvent> {
  return {
    [Symbol.asyncIterator]() {
      const queue: JobEvent[] = [];
      let ended = false;
      let failure: unknown = null;
      let wake: (() => void) | null = null;
      const poke = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      const sub = subscribe({
        onData: (e) => {
          queue.push(e);
          poke();
        },
        onError: (err) => {
          failure = err;
          ended = true;
          poke();
        },
        onComplete: () => {
          ended = true;
          poke();
        },
        onStopped: () => {
          ended = true;
          poke();
        },
      });
      const stop = () => {
        ended = true;
        sub.unsubscribe();
        poke();
      };
      signal?.addEventListener("abort", stop, { once: true });
      return {
        async next(): Promise<IteratorResult<JobEvent>> {
          for (;;) {
            const e = queue.shift();
            if (e) return { value: e, done: false };
            if (failure) throw toVitrineError(failure);
            if (ended) {
              sub.unsubscribe();
              signal?.removeEventListener("abort", stop);
              return { value: undefined, done: true };
            }
            await new Promise<void>((r) => (wake = r));
          }
        },
        async return(): Promise<IteratorResult<JobEvent>> {
          stop();
          signal?.removeEventListener("abort", stop);
          return { value: undefined, done: true };
        },
      };
    },
  };
}
