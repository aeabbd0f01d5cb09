// A loopback Google Cloud Storage for tests, written here: no GCS emulator installs on these
// machines (firebase's needs Java 21 and ignores generation preconditions; docs/deployment.md). It
// serves, in memory on 127.0.0.1, the XML API calls that LanceDB's client (Rust object_store 0.13,
// src/gcp/client.rs) and Vitrine's (lancedb/gcs-objects.ts) make, as GCS documents them:
//   - GET / HEAD / PUT / DELETE /BUCKET/KEY (keys percent-encoded whole or per segment), with
//     x-goog-generation, ETag, Last-Modified, Range reads (206 + Content-Range), ?generation=;
//   - PUT with x-goog-if-generation-match: 0 (create only) or N (replace only generation N): the
//     check and the write happen in one synchronous step, 412 PreconditionFailed when it fails;
//   - copies (PUT with x-goog-copy-source, the same precondition on the destination);
//   - multipart uploads: POST ?uploads, PUT ?partNumber=&uploadId=, POST ?uploadId= (complete),
//     DELETE ?uploadId= (abort);
//   - GET /BUCKET?list-type=2&prefix=&delimiter=&continuation-token=&start-after=&max-keys= (the
//     ListBucketResult XML S3 and GCS share);
//   - POST /token: a service account's signed JWT (RFC 7523) exchanged for an access token, the
//     signature checked against the account's public key. Storage calls need a bearer token: one
//     issued here, or a JWT the account signed itself (object_store sends those, never asking
//     /token). Anything else is 401.
// Any other route answers 501 naming it (and is counted), so a call the clients make that this
// server does not know shows up as a failure, not as a silent success.
import { spawn } from "node:child_process";
import { createHash, createVerify, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childListening } from "./child-listening.ts";

/** What the server was asked to trust: the service account whose key signs the JWTs. */
interface Account {
  /** client_email: the JWTs' issuer. */
  email: string;
  /** private_key_id: the JWTs' kid. */
  keyId: string;
  /** The account's public key (SPKI PEM). */
  publicKey: string;
  /** Lifetime of the access tokens /token issues, in seconds. */
  tokenTtlSeconds: number;
}

/** One object: its bytes and their version. */
interface StoredObj {
  bytes: Buffer;
  generation: string;
  etag: string;
  modified: Date;
  contentType: string;
}

/** What the server counts, for tests (GET /_vitrine/stats). */
export interface GcsStats {
  /** Access tokens issued by /token. */
  tokensIssued: number;
  /** Storage requests authorised by a JWT the account signed itself (object_store's way). */
  selfSigned: number;
  /** Writes refused on a failed generation precondition (412). */
  refused: number;
  /** Requests refused for want of a valid token (401). */
  unauthorised: number;
  /** Routes answered 501, as "METHOD /path?query-keys". */
  unhandled: string[];
  /** Requests per kind of call, as "METHOD object?query-keys" or "METHOD bucket?query-keys" (x-goog-copy-source and conditions marked), for tests that check a call was made. */
  calls: Record<string, number>;
}

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
const errorXml = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`;
const md5 = (b: Buffer) => `"${createHash("md5").update(b).digest("hex")}"`;

/** The claims of a JWT signed RS256 by the account, or why it is not one. */
function verifyJwt(jwt: string, account: Account, now: number): Record<string, unknown> | string {
  const parts = jwt.split(".");
  if (parts.length !== 3) return "not a JWT";
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString());
    claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString());
  } catch {
    return "not a JWT";
  }
  if (header.alg !== "RS256") return `alg ${String(header.alg)}, expected RS256`;
  if (header.kid !== undefined && header.kid !== account.keyId) return `kid ${String(header.kid)} is not the account's key`;
  if (!createVerify("RSA-SHA256").update(`${parts[0]}.${parts[1]}`).verify(account.publicKey, Buffer.from(parts[2]!, "base64url"))) return "bad signature";
  if (claims.iss !== account.email) return `iss ${String(claims.iss)} is not ${account.email}`;
  const [iat, exp] = [Number(claims.iat), Number(claims.exp)];
  if (!(exp > now) || !(iat <= now + 60) || exp - iat > 3600) return "expired, or valid for over an hour";
  if (!/devstorage|cloud-platform/.test(String(claims.scope ?? ""))) return "no storage scope";
  return claims;
}

/** The body of a request, whole. */
async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/** Start the server on 127.0.0.1 (a free port) in this process. */
export async function startLoopbackGcs(bucket: string, account: Account): Promise<{ endpoint: string; close(): Promise<void> }> {
  const objects = new Map<string, StoredObj>();
  const uploads = new Map<string, { key: string; parts: Map<number, { bytes: Buffer; etag: string }> }>();
  const tokens = new Map<string, number>(); // access token → expiry (ms)
  const stats: GcsStats = { tokensIssued: 0, selfSigned: 0, refused: 0, unauthorised: 0, unhandled: [], calls: {} };
  let generation = BigInt(Date.now()) * 1000n;
  let endpoint = "";

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer = "") => {
    res.writeHead(status, { ...(body.length ? { "content-type": "application/xml" } : {}), ...headers, "content-length": String(Buffer.byteLength(body)) }).end(body);
  };

  const authorised = (req: IncomingMessage): boolean => {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer) return false;
    const expires = tokens.get(bearer);
    if (expires !== undefined) return expires > Date.now();
    if (typeof verifyJwt(bearer, account, Date.now() / 1000) === "string") return false;
    stats.selfSigned++;
    return true;
  };

  /** Apply a write of `key` if its generation precondition holds: the check and the write are one synchronous step. */
  const write = (key: string, bytes: Buffer, ifGeneration: string | undefined, contentType: string): StoredObj | null => {
    const cur = objects.get(key);
    if (ifGeneration !== undefined && (ifGeneration === "0" ? cur !== undefined : cur?.generation !== ifGeneration)) {
      stats.refused++;
      return null;
    }
    generation += 1n;
    const obj = { bytes, generation: String(generation), etag: md5(bytes), modified: new Date(), contentType };
    objects.set(key, obj);
    return obj;
  };
  const written = (res: ServerResponse, obj: StoredObj | null, body = "") =>
    obj
      ? send(res, 200, { etag: obj.etag, "x-goog-generation": obj.generation, "x-goog-metageneration": "1" }, body)
      : send(res, 412, {}, errorXml("PreconditionFailed", "At least one of the pre-conditions you specified did not hold."));

  const token = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams((await bodyOf(req)).toString());
    const json = (status: number, o: object) => send(res, status, { "content-type": "application/json" }, JSON.stringify(o));
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return json(400, { error: "unsupported_grant_type" });
    const claims = verifyJwt(form.get("assertion") ?? "", account, Date.now() / 1000);
    if (typeof claims === "string") return json(400, { error: "invalid_grant", error_description: `Invalid JWT: ${claims}` });
    if (claims.aud !== `${endpoint}/token`) return json(400, { error: "invalid_grant", error_description: `Invalid JWT audience ${String(claims.aud)}` });
    const t = `ya29.loopback-${randomBytes(12).toString("hex")}`;
    tokens.set(t, Date.now() + account.tokenTtlSeconds * 1000);
    stats.tokensIssued++;
    json(200, { access_token: t, expires_in: account.tokenTtlSeconds, token_type: "Bearer" });
  };

  const list = (q: URLSearchParams, res: ServerResponse) => {
    const prefix = q.get("prefix") ?? "";
    const delimiter = q.get("delimiter") ?? "";
    const max = Math.min(1000, Number(q.get("max-keys") ?? 1000) || 1000);
    const token = q.get("continuation-token");
    const after = token ? Buffer.from(token, "base64url").toString() : (q.get("start-after") ?? "");
    const entries: { key: string; obj?: StoredObj }[] = [];
    const seen = new Set<string>();
    for (const key of [...objects.keys()].sort()) {
      if (!key.startsWith(prefix) || key <= after) continue;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const common = cut >= 0 ? key.slice(0, cut + delimiter.length) : null;
      if (common !== null) {
        if (!seen.has(common) && common > after) seen.add(common), entries.push({ key: common });
      } else entries.push({ key, obj: objects.get(key)! });
    }
    const page = entries.slice(0, max);
    const truncated = entries.length > max;
    // The last entry's key (a common prefix's too): the next page starts past all it covers.
    const last = page.at(-1)?.key ?? "";
    const next = truncated ? `<NextContinuationToken>${Buffer.from(last.endsWith(delimiter) && delimiter ? `${last}\u{10ffff}` : last).toString("base64url")}</NextContinuationToken>` : "";
    const contents = page
      .filter((e) => e.obj)
      .map(
        (e) =>
          `<Contents><Key>${xml(e.key)}</Key><Generation>${e.obj!.generation}</Generation><LastModified>${e.obj!.modified.toISOString()}</LastModified><ETag>${xml(e.obj!.etag)}</ETag><Size>${e.obj!.bytes.length}</Size></Contents>`,
      );
    const prefixes = page.filter((e) => !e.obj).map((e) => `<CommonPrefixes><Prefix>${xml(e.key)}</Prefix></CommonPrefixes>`);
    send(
      res,
      200,
      {},
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01"><Name>${bucket}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${next}${contents.join("")}${prefixes.join("")}</ListBucketResult>`,
    );
  };

  const read = (req: IncomingMessage, res: ServerResponse, key: string, q: URLSearchParams) => {
    const obj = objects.get(key);
    if (!obj || (q.has("generation") && q.get("generation") !== obj.generation)) return send(res, 404, {}, errorXml("NoSuchKey", "The specified key does not exist."));
    if (req.headers["if-match"] !== undefined && req.headers["if-match"] !== obj.etag) return send(res, 412, {}, errorXml("PreconditionFailed", "If-Match"));
    if (req.headers["if-none-match"] !== undefined && req.headers["if-none-match"] === obj.etag) return send(res, 304, {});
    const size = obj.bytes.length;
    const head = {
      etag: obj.etag,
      "last-modified": obj.modified.toUTCString(),
      "x-goog-generation": obj.generation,
      "x-goog-metageneration": "1",
      "x-goog-stored-content-length": String(size),
      "content-type": obj.contentType,
      "accept-ranges": "bytes",
    };
    let [start, end, status] = [0, size - 1, 200];
    const range = req.headers.range;
    if (range !== undefined) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range);
      if (!m || (m[1] === "" && m[2] === "")) return send(res, 501, {}, errorXml("NotImplemented", `loopback GCS: Range ${range}`));
      if (m[1] === "") [start, end] = [Math.max(0, size - Number(m[2])), size - 1];
      else [start, end] = [Number(m[1]), m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)];
      if (start >= size || start > end) return send(res, 416, { "content-range": `bytes */${size}` }, errorXml("InvalidRange", "The requested range cannot be satisfied."));
      status = 206;
      Object.assign(head, { "content-range": `bytes ${start}-${end}/${size}` });
    }
    const body = obj.bytes.subarray(start, end + 1);
    if (req.method === "HEAD") return res.writeHead(status, { ...head, "content-length": String(body.length) }).end();
    res.writeHead(status, { ...head, "content-length": String(body.length) }).end(body);
  };

  const storage = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const raw = url.pathname.slice(1);
    const slash = raw.indexOf("/");
    const b = decodeURIComponent(slash < 0 ? raw : raw.slice(0, slash));
    const key = slash < 0 ? "" : decodeURIComponent(raw.slice(slash + 1));
    const q = url.searchParams;
    const m = req.method ?? "";
    const ifGeneration = req.headers["x-goog-if-generation-match"] as string | undefined;
    const call = `${m} ${key ? "object" : "bucket"}${q.size ? `?${[...q.keys()].join("&")}` : ""}${req.headers["x-goog-copy-source"] ? " copy" : ""}${ifGeneration !== undefined ? ` if-generation-match=${ifGeneration === "0" ? "0" : "N"}` : ""}${req.headers.range ? " range" : ""}`;
    stats.calls[call] = (stats.calls[call] ?? 0) + 1;
    const unknownCondition = Object.keys(req.headers).find(
      (h) => (h.startsWith("x-goog-if-") && h !== "x-goog-if-generation-match") || (m !== "GET" && m !== "HEAD" && (h === "if-match" || h === "if-none-match")),
    );
    if (b !== bucket) return (await bodyOf(req), send(res, 404, {}, errorXml("NoSuchBucket", "The specified bucket does not exist.")));
    if (unknownCondition) return null;
    if (!key) return m === "GET" && q.get("list-type") === "2" ? list(q, res) : null;
    if ((m === "GET" || m === "HEAD") && [...q.keys()].every((k) => k === "generation")) return read(req, res, key, q);
    if (m === "PUT" && q.has("uploadId") && q.has("partNumber")) {
      const up = uploads.get(q.get("uploadId")!);
      const bytes = await bodyOf(req);
      if (!up || up.key !== key) return send(res, 404, {}, errorXml("NoSuchUpload", "The specified multipart upload does not exist."));
      const etag = md5(bytes);
      up.parts.set(Number(q.get("partNumber")), { bytes, etag });
      return send(res, 200, { etag });
    }
    if (m === "PUT" && q.size === 0) {
      const bytes = await bodyOf(req);
      const source = req.headers["x-goog-copy-source"] as string | undefined;
      if (source === undefined) return written(res, write(key, bytes, ifGeneration, req.headers["content-type"] ?? "application/octet-stream"));
      const decoded = decodeURIComponent(source.replace(/^\//, ""));
      const from = decoded.startsWith(`${bucket}/`) ? objects.get(decoded.slice(bucket.length + 1)) : undefined;
      if (!from) return send(res, 404, {}, errorXml("NoSuchKey", `copy source ${source} does not exist`));
      const obj = write(key, from.bytes, ifGeneration, from.contentType);
      return written(
        res,
        obj,
        obj ? `<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><LastModified>${obj.modified.toISOString()}</LastModified><ETag>${obj.etag}</ETag></CopyObjectResult>` : "",
      );
    }
    if (m === "POST" && q.has("uploads") && q.size === 1) {
      await bodyOf(req);
      const id = randomBytes(16).toString("hex");
      uploads.set(id, { key, parts: new Map() });
      return send(
        res,
        200,
        {},
        `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${xml(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (m === "POST" && q.has("uploadId") && q.size === 1) {
      const body = (await bodyOf(req)).toString();
      const up = uploads.get(q.get("uploadId")!);
      if (!up || up.key !== key) return send(res, 404, {}, errorXml("NoSuchUpload", "The specified multipart upload does not exist."));
      const listed = [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((p) => ({
        n: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(p[1]!)?.[1]),
        etag: /<ETag>([^<]*)<\/ETag>/.exec(p[1]!)?.[1]?.replace(/&quot;/g, '"'),
      }));
      if (listed.length === 0 || listed.some((p, i) => up.parts.get(p.n)?.etag !== p.etag || (i > 0 && p.n <= listed[i - 1]!.n)))
        return send(res, 400, {}, errorXml("InvalidPart", `parts ${body.slice(0, 300)}`));
      const obj = write(key, Buffer.concat(listed.map((p) => up.parts.get(p.n)!.bytes)), ifGeneration, "application/octet-stream");
      if (obj) uploads.delete(q.get("uploadId")!);
      return written(
        res,
        obj,
        obj ? `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${xml(key)}</Key><ETag>${obj.etag}</ETag></CompleteMultipartUploadResult>` : "",
      );
    }
    if (m === "DELETE" && q.has("uploadId") && q.size === 1) {
      await bodyOf(req);
      uploads.delete(q.get("uploadId")!);
      return send(res, 204, {});
    }
    if (m === "DELETE" && q.size === 0) {
      await bodyOf(req);
      const cur = objects.get(key);
      if (!cur) return send(res, 404, {}, errorXml("NoSuchKey", "The specified key does not exist."));
      if (ifGeneration !== undefined && ifGeneration !== cur.generation) return (stats.refused++, written(res, null));
      objects.delete(key);
      return send(res, 204, {});
    }
    return null;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = `${req.method} ${url.pathname}${url.search ? `?${[...url.searchParams.keys()].join("&")}` : ""}`;
    const answer = async () => {
      if (url.pathname === "/_vitrine/stats") return send(res, 200, { "content-type": "application/json" }, JSON.stringify(stats));
      if (url.pathname === "/_vitrine/revoke" && req.method === "POST") return (tokens.clear(), send(res, 204, {}));
      if (url.pathname === "/token" && req.method === "POST") return token(req, res);
      if (!authorised(req)) {
        stats.unauthorised++;
        await bodyOf(req);
        return send(
          res,
          401,
          { "www-authenticate": 'Bearer realm="loopback-gcs"' },
          errorXml("AuthenticationRequired", "Authentication required (a bearer token from /token, or a JWT the service account signed)."),
        );
      }
      const done = await storage(req, res, url);
      if (done === null) {
        stats.unhandled.push(route);
        process.stderr.write(`loopback GCS: no route for ${route}\n`);
        if (!req.readableEnded) await bodyOf(req);
        send(res, 501, {}, errorXml("NotImplemented", `loopback GCS has no route for ${route}`));
      }
    };
    answer().catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, {}, errorXml("InternalError", String(e)));
      else res.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A running loopback GCS in a child process. */
export interface LoopbackGcs {
  /** http://127.0.0.1:PORT: the storage API and /token. */
  endpoint: string;
  /** The bucket it serves. */
  bucket: string;
  /** The service account key (its JSON fields), gcs_base_url and token_uri pointing here. */
  key: Record<string, string | boolean>;
  /** GOOGLE_SERVICE_ACCOUNT = the path of that key's file: what points a LanceDB / Vitrine process here. */
  env: Record<string, string>;
  /** What the server counted so far. */
  stats(): Promise<GcsStats>;
  /** Forget every access token issued (the next request with one gets 401). */
  revokeTokens(): Promise<void>;
  /** Stop the server (its data was only in memory) and delete the key file. */
  close(): Promise<void>;
}

/** Start a loopback GCS serving `bucket` in a child process, with a service account of a fresh RSA key, its key file in a temp folder. */
export async function spawnLoopbackGcs(bucket = "vitrine", o: { tokenTtlSeconds?: number } = {}): Promise<LoopbackGcs> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const account: Account = { email: "vitrine-test@loopback.iam.gserviceaccount.com", keyId: randomBytes(20).toString("hex"), publicKey, tokenTtlSeconds: o.tokenTtlSeconds ?? 3600 };
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), bucket, JSON.stringify(account)], { stdio: ["ignore", "pipe", "inherit"] });
  const dir = await mkdtemp(join(tmpdir(), "vitrine-gcs-"));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const endpoint = await childListening(child, "loopback GCS");
    const key = {
      type: "service_account",
      project_id: "vitrine-loopback",
      private_key_id: account.keyId,
      private_key: privateKey,
      client_email: account.email,
      token_uri: `${endpoint}/token`,
      gcs_base_url: endpoint,
    };
    const keyFile = join(dir, "service-account.json");
    await writeFile(keyFile, JSON.stringify(key, null, 2));
    return {
      endpoint,
      bucket,
      key,
      env: { GOOGLE_SERVICE_ACCOUNT: keyFile },
      stats: async () => (await (await fetch(`${endpoint}/_vitrine/stats`)).json()) as GcsStats,
      revokeTokens: async () => void (await fetch(`${endpoint}/_vitrine/revoke`, { method: "POST" })),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

// As a process (spawnLoopbackGcs): serve until SIGTERM.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startLoopbackGcs(process.argv[2]!, JSON.parse(process.argv[3]!) as Account);
  console.log(`listening ${server.endpoint}`);
  process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
}
