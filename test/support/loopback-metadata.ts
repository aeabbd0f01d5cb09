// A loopback GCE/GKE instance metadata server for tests, in this process on 127.0.0.1: what a VM's
// (or a GKE node's, for a pod with Workload Identity) metadata server does for gs:// auth without a
// key. GET /computeMetadata/v1/instance/service-accounts/default/token (any query: object_store adds
// ?audience=) with `Metadata-Flavor: Google` answers {access_token, expires_in, token_type}; without
// the header, 403, as Google's does. Each token is a real one of the loopback GCS
// (loopback-gcs.ts): the server holds the service account's key and exchanges a JWT it signs at the
// key's token_uri, as the real server holds the VM's account, so the store checks the bearer token as
// it checks any. Every answer carries `Metadata-Flavor: Google`; any other route answers 404 and is
// counted, so a call the clients make that this server does not know shows up.
import { createSign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What the server counted. */
export interface MetadataStats {
  /** Tokens handed out. */
  tokens: number;
  /** Token requests refused for want of `Metadata-Flavor: Google` (403). */
  withoutFlavor: number;
  /** Other routes asked (404), as "METHOD /path". */
  unhandled: string[];
}

/** A running loopback metadata server. */
export interface LoopbackMetadata {
  /** 127.0.0.1:PORT: the form GCE_METADATA_HOST takes (host[:port], no scheme). */
  host: string;
  /** What it counted so far. */
  stats(): MetadataStats;
  /** Report this lifetime (seconds) for the tokens handed out from now on (the store's own tokens live an hour). */
  setExpiresIn(seconds: number): void;
  /** Stop it, dropping open connections. */
  close(): Promise<void>;
}

/** Options of the server. */
export interface LoopbackMetadataOptions {
  /** The service account key (client_email, private_key, private_key_id, token_uri) whose tokens it hands out; none: 404 on the token route, as a VM without a service account answers. */
  key?: Record<string, unknown>;
  /** Hand out this token instead of minting one (a token the store does not take). */
  token?: string;
  /** The expires_in it reports, in seconds (default 3600). */
  expiresIn?: number;
}

const TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

/** An access token for `key` from its token_uri (the loopback GCS's /token), by a JWT signed with the key. */
async function mint(key: Record<string, unknown>): Promise<string> {
  const b64 = (v: string | Buffer) => Buffer.from(v).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const head = b64(JSON.stringify({ alg: "RS256", typ: "JWT", kid: key.private_key_id }));
  const claims = b64(JSON.stringify({ iss: key.client_email, scope: "https://www.googleapis.com/auth/devstorage.read_write", aud: key.token_uri, iat: now, exp: now + 3600 }));
  const signature = b64(createSign("RSA-SHA256").update(`${head}.${claims}`).sign(String(key.private_key)));
  const form = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: `${head}.${claims}.${signature}` });
  const res = await fetch(String(key.token_uri), { method: "POST", body: form, signal: AbortSignal.timeout(10_000) });
  const answer = (await res.json()) as { access_token?: string };
  if (!res.ok || !answer.access_token) throw new Error(`loopback metadata: ${key.token_uri} answered ${res.status} ${JSON.stringify(answer)}`);
  return answer.access_token;
}

/** Start a metadata server on a free loopback port. */
export async function startLoopbackMetadata(o: LoopbackMetadataOptions = {}): Promise<LoopbackMetadata> {
  const stats: MetadataStats = { tokens: 0, withoutFlavor: 0, unhandled: [] };
  let expiresIn = o.expiresIn ?? 3600;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const send = (status: number, type: string, body: string) =>
      res.writeHead(status, { "metadata-flavor": "Google", "content-type": type, "content-length": String(Buffer.byteLength(body)) }).end(body);
    req.resume();
    if (req.method !== "GET" || url.pathname !== TOKEN_PATH) {
      stats.unhandled.push(`${req.method} ${url.pathname}`);
      return send(404, "text/plain", "Not Found");
    }
    if (req.headers["metadata-flavor"] !== "Google") {
      stats.withoutFlavor++;
      return send(403, "text/plain", "Missing Metadata-Flavor:Google header.");
    }
    if (!o.key && !o.token) return send(404, "text/plain", "The service account 'default' was not found on this instance.");
    (o.token ? Promise.resolve(o.token) : mint(o.key!)).then(
      (token) => {
        stats.tokens++;
        send(200, "application/json", JSON.stringify({ access_token: token, expires_in: expiresIn, token_type: "Bearer" }));
      },
      (e: unknown) => send(500, "text/plain", String(e)),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => structuredClone(stats),
    setExpiresIn: (seconds) => {
      expiresIn = seconds;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** host:port of a loopback port nothing listens on (one just freed): connections to it are refused at once. */
export async function closedHost(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `127.0.0.1:${port}`;
}
