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
//     levels down (LanceDB's table listing); such listings are answered from the folder the prefix
//     names (its objects, and a common prefix per sub-folder that holds one), as S3 groups them.
// The check and the write happen under the key's lock in this one process, so two conditional
// PUTs of one key cannot both pass.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import S3rver from "s3rver";
import { childListening } from "./child-listening.ts";

const require_ = createRequire(import.meta.url);

/** A running loopback S3 server. */
export interface LoopbackS3 {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** The bucket created at start. */
  bucket: string;
  /** AWS_* variables that point a LanceDB / Vitrine process at it. */
  env: Record<string, string>;
  /** Conditional PUTs refused with 412 so far (tests check the guard did its work). */
  refused(): Promise<number>;
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

/** The guard's own route: the count of refused conditional PUTs (a bucket name cannot start with "_"). */
const REFUSED_PATH = "/_vitrine/refused";

function conditionalPutGuard(onRefuse: () => void, refused: () => number): Middleware {
  const withKey = keyLocks();
  return async (ctx, next) => {
    if (ctx.path === REFUSED_PATH) {
      ctx.body = String(refused());
      return;
    }
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
type ListResult = { objects: unknown[]; commonPrefixes: string[]; isTruncated: boolean };
type Store = {
  listObjects(bucket: string, o: ListOptions): Promise<ListResult>;
  getBucketPath(bucket: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
};
type ObjectCtor = new (bucket: string, key: string, content: null, metadata: Record<string, unknown>) => unknown;

const OBJECT_SUFFIX = "._S3rver_object"; // how s3rver's filesystem store names an object's bytes

/** True when folder `dir` holds an object somewhere below it (a dropped table leaves empty folders behind). */
async function holdsObject(dir: string): Promise<boolean> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isFile() && e.name.endsWith(OBJECT_SUFFIX)) return true;
    if (e.isDirectory() && (await holdsObject(join(dir, e.name)))) return true;
  }
  return false;
}

/**
 * S3's listing under a "/" delimiter for a prefix that ends in "/", read off the folder the prefix
 * names: its objects, and a common prefix per sub-folder holding any object. (POSIX key paths: the
 * store encodes keys only on Windows.) Other listings go to s3rver's own.
 */
function groupedListing(store: Store): void {
  const flat = store.listObjects.bind(store);
  const S3Object = require_("s3rver/lib/models/object.js") as ObjectCtor;
  store.listObjects = async (bucket, o) => {
    const prefix = o.prefix ?? "";
    if (o.delimiter !== "/" || (prefix && !prefix.endsWith("/")) || o.startAfter) return flat(bucket, o);
    const dir = join(store.getBucketPath(bucket), prefix);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const commonPrefixes: string[] = [];
    const keys: string[] = [];
    for (const e of entries) {
      if (e.isDirectory() && (await holdsObject(join(dir, e.name)))) commonPrefixes.push(`${prefix}${e.name}/`);
      else if (e.isFile() && e.name.endsWith(OBJECT_SUFFIX)) keys.push(`${prefix}${e.name.slice(0, -OBJECT_SUFFIX.length)}`);
    }
    keys.sort();
    const objects = await Promise.all(keys.map(async (k) => new S3Object(bucket, k, null, await store.getMetadata(bucket, k))));
    return { objects, commonPrefixes: commonPrefixes.sort(), isTruncated: false };
  };
}

/** The environment that points a LanceDB / Vitrine process at a loopback server. */
function envFor(endpoint: string): Record<string, string> {
  return { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };
}

/** Start s3rver on 127.0.0.1 (a free port) in this process, with one bucket and the guard in front. */
export async function startLoopbackS3(bucket = "vitrine"): Promise<LoopbackS3> {
  const dir = await mkdtemp(join(tmpdir(), "vitrine-s3-"));
  let refused = 0;
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  // Koa composes app.middleware when the server starts listening: put the guard first.
  (server as unknown as { middleware: Middleware[] }).middleware.unshift(
    conditionalPutGuard(
      () => refused++,
      () => refused,
    ),
  );
  groupedListing((server as unknown as { store: Store }).store);
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    env: envFor(endpoint),
    refused: async () => refused,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The same server in a child process: a test that loads the store from several processes at once
 * (replicas, a publish) keeps the server's file work off its own event loop, as a real store would be.
 */
export async function spawnLoopbackS3(bucket = "vitrine"): Promise<LoopbackS3> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), bucket], { stdio: ["ignore", "pipe", "inherit"] });
  const endpoint = await childListening(child, "loopback S3");
  return {
    endpoint,
    bucket,
    env: envFor(endpoint),
    refused: async () => Number(await (await fetch(`${endpoint}${REFUSED_PATH}`)).text()),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

// As a process (spawnLoopbackS3): serve until SIGTERM, then delete the files.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s3 = await startLoopbackS3(process.argv[2]);
  console.log(`listening ${s3.endpoint}`);
  process.once("SIGTERM", () => void s3.close().then(() => process.exit(0)));
}

/** Set environment variables for a test file (the store's AWS_* settings, VITRINE_WORK_DIR); the returned function puts back what was there before. */
export function setEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
