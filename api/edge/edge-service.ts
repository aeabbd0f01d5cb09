// The RetrievalService the edge's copy of the app (createApp) runs on. The edge handler has
// already answered every retrieve it lets through from KV and parked the result here, so the app
// only adds what it adds at the origin (auth, rate limit, validation, error shapes, request id).
// Every other operation is forwarded before it reaches the app.
import type { RetrieveRequest } from "../../core/index.ts";
import { ServiceError, type RetrievalService, type RetrieveResult } from "../service/types.ts";
import { answerFromKv } from "./answer.ts";
import type { EdgeStore } from "./kv-store.ts";

/** Results computed by the handler, waiting for the app to ask for them; keyed by the validated request. */
export class AnswerStash {
  private readonly parked = new Map<string, RetrieveResult[]>();

  /** The key of a validated request (the schema's output, so the handler and the app agree). */
  static keyOf(req: RetrieveRequest): string {
    return JSON.stringify(req);
  }

  /** Park a result; the returned function removes it if the app never took it (e.g. rate limited). */
  park(req: RetrieveRequest, result: RetrieveResult): () => void {
    const key = AnswerStash.keyOf(req);
    const list = this.parked.get(key) ?? [];
    list.push(result);
    this.parked.set(key, list);
    return () => {
      const l = this.parked.get(key);
      const i = l?.indexOf(result) ?? -1;
      if (i < 0) return;
      l!.splice(i, 1);
      if (l!.length === 0) this.parked.delete(key);
    };
  }

  /** Take a parked result for an equal request, if any. */
  take(req: RetrieveRequest): RetrieveResult | undefined {
    const key = AnswerStash.keyOf(req);
    const l = this.parked.get(key);
    const r = l?.shift();
    if (l && l.length === 0) this.parked.delete(key);
    return r;
  }
}

const forwarded = (what: string) => new ServiceError("UNAVAILABLE", `${what} is served by the origin API; the edge forwards it, so this answer means the edge was misrouted`);

/** The edge's service: retrieve from the stash (or KV); everything else belongs to the origin. `segmentable`: whether this Worker can segment a query. */
export function createEdgeService(store: EdgeStore, stash: AnswerStash, segmentable: (query: string) => boolean = () => true): RetrievalService {
  return {
    async retrieve(req) {
      const parked = stash.take(req);
      if (parked) return parked;
      if (!segmentable(req.query))
        throw new ServiceError("UNAVAILABLE", "this edge Worker has no CJK dictionary; send the request as a single tRPC call or to POST /v1/retrieve (it is forwarded to the origin)");
      // Not parked: a tRPC encoding the handler does not read. Answer from KV if the list suffices.
      const r = await answerFromKv(store, req);
      if (r) return r;
      throw new ServiceError("UNAVAILABLE", "the edge cannot answer this request from KV; send it as a single tRPC call or to POST /v1/retrieve");
    },
    similar: () => Promise.reject(forwarded("similar")),
    lookup: () => Promise.reject(forwarded("lookup")),
    getItems: () => Promise.reject(forwarded("items.get")),
    listReleases: () => Promise.reject(forwarded("releases.list")),
    activate: () => Promise.reject(forwarded("releases.activate")),
    rollback: () => Promise.reject(forwarded("releases.rollback")),
    async health() {
      const release = await store.activeRelease().catch(() => null);
      return { ok: release !== null, release };
    },
    async close() {},
  };
}
