// Loopback servers that fail the way a store or the network between can, for the object clients'
// tests (lancedb/object-requests.test.ts): one that accepts connections and never answers, one
// that sends an answer's headers and then stalls its body, one that answers every request with a
// 5xx, a proxy in front of a real loopback store that forwards a conditional PUT, lets the store
// commit it, and then loses the answer (a 502 of its own, or a reset connection), and one that
// forwards everything until told to stop answering (LanceDB's reads of a table already open).
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";
import { AZURITE_ACCOUNT, AZURITE_KEY } from "./loopback-azurite.ts";

/** A running loopback server. */
export interface FaultyServer {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** Requests seen so far. */
  requests(): number;
  /** Stop it, dropping open connections. */
  close(): Promise<void>;
}

/** Listen on a free loopback port, dropping open connections on close. */
async function listen(server: Server, requests: () => number): Promise<FaultyServer> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A server that accepts every connection, reads what comes (counting request lines), and never answers. */
export function startSilentServer(): Promise<FaultyServer> {
  let n = 0;
  const server = createTcpServer((s) => {
    let seen = "";
    s.on("data", (b: Buffer) => {
      // Request lines end in " HTTP/1.1"; the few bodies sent here ("{}") hold none.
      seen = (seen + b.toString("latin1")).slice(-4096);
      n += seen.match(/ HTTP\/1\.1\r\n/g)?.length ?? 0;
      seen = seen.slice(seen.lastIndexOf(" HTTP/1.1\r\n") + 1);
    });
  });
  return listen(server, () => n);
}

/** A server that answers every request 200 with `declared` bytes of Content-Length (none: chunked), sends the first `sent` of them, and stalls. */
export function startStallingServer(sent: number, declared?: number): Promise<FaultyServer> {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    req.resume();
    const headers: Record<string, string> = { etag: '"stall"', "last-modified": new Date().toUTCString(), "content-type": "application/octet-stream" };
    if (declared !== undefined) headers["content-length"] = String(declared);
    res.writeHead(200, headers);
    res.write(Buffer.alloc(sent, 0x7b));
  });
  return listen(server, () => n);
}

/** A server that answers every request 200 with `count` chunks of `chunk` bytes (Content-Length set), one every `everyMs`: a slow store that keeps sending. */
export function startTricklingServer(chunk: number, count: number, everyMs: number): Promise<FaultyServer> {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(200, { etag: '"trickle"', "last-modified": new Date().toUTCString(), "content-length": String(chunk * count) });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(Buffer.alloc(chunk, sent % 256));
      if (++sent === count) clearInterval(timer), res.end();
    }, everyMs);
    res.on("close", () => clearInterval(timer));
  });
  return listen(server, () => n);
}

/** A server that answers every request with `status` (a store or proxy failing: 500, 503, 429). */
export function startFailingServer(status: number): Promise<FaultyServer> {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(status, { "content-type": "application/xml" }).end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>`);
  });
  return listen(server, () => n);
}

/** How the proxy loses an answer: a 502 of its own after the store committed, the client's connection reset, or no answer at all (the client times out). */
export type LostAnswer = "502" | "reset" | "hang";

/** A proxy in front of a store that can lose the answers of conditional PUTs. */
export interface AnswerLosingProxy extends FaultyServer {
  /** Lose the answers of the next `n` conditional PUTs (If-None-Match, If-Match, or GCS's x-goog-if-generation-match), after the store has answered them. */
  loseNext(n: number, how: LostAnswer): void;
  /** Answers lost so far, with the status the store gave each. */
  lost(): number[];
}

/**
 * Start a proxy to `upstream` (http://127.0.0.1:PORT): requests go through as they came (the Host
 * header too, which SigV4 signs), answers come back, except that the next conditional PUTs set by
 * loseNext() reach the store and get its answer, which the client then never sees.
 */
export async function startAnswerLosingProxy(upstream: string): Promise<AnswerLosingProxy> {
  const target = new URL(upstream);
  let toLose = 0;
  let how: LostAnswer = "502";
  const lost: number[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    n++;
    const conditional = req.method === "PUT" && (req.headers["if-none-match"] !== undefined || req.headers["if-match"] !== undefined || req.headers["x-goog-if-generation-match"] !== undefined);
    const lose = conditional && toLose > 0;
    if (lose) toLose--;
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (!lose) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      // Read the store's whole answer first: the write is committed before the client loses it.
      answer.resume();
      answer.on("end", () => {
        lost.push(answer.statusCode ?? 0);
        if (how === "reset") req.socket.destroy();
        else if (how === "hang") return;
        else res.writeHead(502, { "content-type": "text/plain" }).end("bad gateway");
      });
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  const s = await listen(server, () => n);
  return {
    ...s,
    loseNext: (count, h) => {
      toLose = count;
      how = h;
    },
    lost: () => [...lost],
  };
}

/** A proxy in front of a store that can stop answering. */
export interface SilencingProxy extends FaultyServer {
  /** From now on take every request (on new and kept-alive connections alike) and never answer it. */
  silence(): void;
}

/** Start a proxy to `upstream` (http://127.0.0.1:PORT) that forwards everything until silence(): a store that hangs after a table was opened. */
export async function startSilencingProxy(upstream: string): Promise<SilencingProxy> {
  const target = new URL(upstream);
  let silent = false;
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    n++;
    if (silent) return void req.resume();
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  const s = await listen(server, () => n);
  return {
    ...s,
    silence: () => {
      silent = true;
    },
  };
}

/** The variables that name a loopback store's endpoint (S3's, Azure's with its account path). */
const ENDPOINT_VARS = ["AWS_ENDPOINT_URL", "AZURE_STORAGE_ENDPOINT"] as const;

/** A GCS environment's service account key (the file GOOGLE_SERVICE_ACCOUNT names, or GOOGLE_SERVICE_ACCOUNT_KEY), whose gcs_base_url is the endpoint; undefined for other stores. */
function gcsKey(env: Record<string, string>): Record<string, unknown> | undefined {
  const json = env.GOOGLE_SERVICE_ACCOUNT_KEY ?? (env.GOOGLE_SERVICE_ACCOUNT ? readFileSync(env.GOOGLE_SERVICE_ACCOUNT, "utf8") : undefined);
  return json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>);
}

/** The origin (http://127.0.0.1:PORT) of the store a loopback store's environment points at. */
export function storeOrigin(env: Record<string, string>): string {
  const key = gcsKey(env);
  if (key) return new URL(String(key.gcs_base_url)).origin;
  const v = ENDPOINT_VARS.find((k) => env[k]);
  if (!v) throw new Error("no store endpoint in this environment");
  return new URL(env[v]!).origin;
}

/**
 * The same environment pointed at `endpoint` (a proxy or a faulty server) instead of the store's
 * origin, its path (Azure's account) kept. On GCS the key's gcs_base_url changes (its token_uri
 * stays): a key file is copied beside itself, so the variable that names it stays the same one.
 */
export function envAt(env: Record<string, string>, endpoint: string): Record<string, string> {
  const out = { ...env };
  const key = gcsKey(env);
  if (key) {
    const moved = JSON.stringify({ ...key, gcs_base_url: endpoint });
    if (!env.GOOGLE_SERVICE_ACCOUNT) return { ...out, GOOGLE_SERVICE_ACCOUNT_KEY: moved };
    const file = `${env.GOOGLE_SERVICE_ACCOUNT.replace(/\.json$/, "")}-at-${new URL(endpoint).port}.json`;
    writeFileSync(file, moved);
    return { ...out, GOOGLE_SERVICE_ACCOUNT: file };
  }
  for (const k of ENDPOINT_VARS) if (out[k]) out[k] = `${endpoint}${new URL(out[k]).pathname.replace(/\/$/, "")}`;
  return out;
}

/** The environment that points a client of each store kind at `endpoint` (a faulty server, or a proxy in front of the store), with the loopback servers' credentials (GCS: an emulator's key without auth). */
export const REACH = {
  s3: (endpoint: string): Record<string, string> => ({ AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" }),
  az: (endpoint: string): Record<string, string> => ({ AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT, AZURE_STORAGE_ACCOUNT_KEY: AZURITE_KEY, AZURE_STORAGE_ENDPOINT: `${endpoint}/${AZURITE_ACCOUNT}` }),
  gs: (endpoint: string): Record<string, string> => ({
    GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ private_key: "", private_key_id: "", client_email: "", gcs_base_url: endpoint, disable_oauth: true }),
  }),
} as const;

/** The error a call ended with (it must end, and must fail). */
export async function failure<E = Error>(p: Promise<unknown>): Promise<E> {
  const e = await p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (err: unknown) => err,
  );
  return e as E;
}
