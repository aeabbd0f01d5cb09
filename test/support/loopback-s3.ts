// A loopback S3 server for tests: s3rver (pure JS, a devDependency) on 127.0.0.1 with a guard in
// front of its routes that gives it what real S3 (and MinIO, R2, GCS's XML API) do and s3rver 3.7.1
// does not:
//   - conditional PUT: `If-None-Match: *` fails with 412 when the key exists, `If-Match: "etag"`
//     fails with 412 unless the key's current ETag is that one. LanceDB's commits (a new manifest
//     per version, PUT with If-None-Match) and Vitrine's store leases rely on these;
//   - atomic objects: s3rver writes an object's file in place, so a GET racing a PUT of the same
//     key can read it half written (S3 never shows a half object). The guard serialises requests
//     per key, so a read waits for the write in flight.
//   - listings with a delimiter: s3rver 3.7.1 prunes the folders under a common prefix before it
//     sees a key in them, so `prefix=store/&delimiter=/` lists nothing when every object sits two
//     levels down (LanceDB's table listing); the store's listing is wrapped to list every key under
//     the prefix and group them into common prefixes as S3 does.
// The check and the write happen under the key's lock in this one process, so two conditional
// PUTs of one key cannot both pass.
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** A running loopback S3 server. */
export interface LoopbackS3 {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** The bucket created at start. */
  bucket: string;
  /** AWS_* variables that point a LanceDB / Vitrine process at it. */
  env: Record<string, string>;
  /** Conditional PUTs refused with 412 so far (tests check the guard did its work). */
  refused(): number;
  /** Stop the server and delete its files. */
  close(): Promise<void>;
}

type KoaCtx = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  type: string;
  store: { getMetadata(bucket: string, key: string): Promise<{ etag: string }> };
};
type Middleware = (ctx: KoaCtx, next: () => Promise<void>) => Promise<void>;

const unquote = (s: string) => s.trim().replace(/^W\//, "").replace(/"/g, "");

/** Per-key FIFO lock: the next holder starts when the previous one's promise settles. */
function keyLocks() {
  const tails = new Map<string, Promise<void>>();
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => {
      done = r;
    });
    const tail = prev.then(() => mine);
    tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      done();
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

function preconditionFailed(ctx: KoaCtx, key: string): void {
  ctx.status = 412;
  ctx.type = "application/xml";
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Key>${key}</Key></Error>`;
}

function conditionalPutGuard(onRefuse: () => void): Middleware {
  const withKey = keyLocks();
  return async (ctx, next) => {
    const [bucket, ...rest] = ctx.path.replace(/^\//, "").split("/");
    const key = rest.map(decodeURIComponent).join("/");
    if (!bucket || !key || !["GET", "HEAD", "PUT", "DELETE"].includes(ctx.method)) return next();
    await withKey(`${bucket}/${key}`, async () => {
      const noneMatch = ctx.method === "PUT" ? (ctx.headers["if-none-match"] as string | undefined) : undefined;
      const match = ctx.method === "PUT" ? (ctx.headers["if-match"] as string | undefined) : undefined;
      if (noneMatch !== undefined || match !== undefined) {
        const etag = await ctx.store.getMetadata(bucket, key).then(
          (m) => unquote(m.etag),
          () => null,
        );
        if (noneMatch !== undefined && etag !== null && (noneMatch.trim() === "*" || unquote(noneMatch) === etag)) return (onRefuse(), preconditionFailed(ctx, key));
        if (match !== undefined && (etag === null || (match.trim() !== "*" && unquote(match) !== etag))) return (onRefuse(), preconditionFailed(ctx, key));
      }
      await next();
    });
  };
}

type ListOptions = { delimiter?: string; prefix?: string; startAfter?: string; maxKeys?: number };
type ListResult = { objects: { key: string }[]; commonPrefixes: string[]; isTruncated: boolean };
type Store = { listObjects(bucket: string, o: ListOptions): Promise<ListResult> };

/** S3's grouping of keys under a delimiter, over s3rver's flat listing (every key is listed; nothing is truncated). */
function groupedListing(store: Store): void {
  const flat = store.listObjects.bind(store);
  store.listObjects = async (bucket, o) => {
    if (!o.delimiter) return flat(bucket, o);
    const prefix = o.prefix ?? "";
    const all = await flat(bucket, { ...o, delimiter: undefined, maxKeys: Number.POSITIVE_INFINITY });
    const common = new Set<string>();
    const objects = all.objects.filter((obj) => {
      const idx = obj.key.slice(prefix.length).indexOf(o.delimiter!);
      if (idx === -1) return true;
      common.add(obj.key.slice(0, prefix.length + idx + o.delimiter!.length));
      return false;
    });
    return { objects, commonPrefixes: [...common].sort(), isTruncated: false };
  };
}

/** Start s3rver on 127.0.0.1 (a free port) with one bucket and the conditional-PUT guard in front. */
export async function startLoopbackS3(bucket = "vitrine"): Promise<LoopbackS3> {
  const dir = await mkdtemp(join(tmpdir(), "vitrine-s3-"));
  let refused = 0;
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  // Koa composes app.middleware when the server starts listening: put the guard first.
  (server as unknown as { middleware: Middleware[] }).middleware.unshift(conditionalPutGuard(() => refused++));
  groupedListing((server as unknown as { store: Store }).store);
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_REGION: "us-east-1",
      AWS_ALLOW_HTTP: "true",
    },
    refused: () => refused,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
