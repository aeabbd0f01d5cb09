// The Node server over real loopback sockets (issue 13 B, D): keyless bodies are refused after the
// headers alone, clients that leave mid-body or mid-answer are 499s at info level, and requests
// without a usable key are limited per socket address (X-Forwarded-For only when trusted).
import net from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { serveNode, type NodeServer } from "./serve-node.ts";
import { KEYS, READ_KEY } from "../http/test-support/fixtures.ts";
import { memoryService } from "../http/test-support/memory-service.ts";
import { isClientAbort, type MetricsRecorder, type RequestSample } from "../http/index.ts";
import type { ServerConfig } from "../http/index.ts";
import type { RetrievalService } from "../service/types.ts";

type Line = { level: number; msg: string; status?: number; err?: unknown };

let server: NodeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(opts: { service?: RetrievalService; config?: Partial<ServerConfig> } = {}) {
  const lines: Line[] = [];
  const samples: RequestSample[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as Line);
      cb();
    },
  });
  const metrics: MetricsRecorder = { observe: (s) => void samples.push(s), render: () => ({ contentType: "text/plain", body: "" }) };
  server = await serveNode({
    service: opts.service ?? memoryService(),
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "info" }, sink),
    metrics,
    config: { keys: KEYS, rateLimit: null, ...opts.config },
  });
  return { server, lines, samples };
}

/** Open a raw connection, write `head` (and optional bytes), resolve with what the server sent before `until` matched or it closed. */
function raw(port: number, write: (s: net.Socket) => void, until: RegExp, ms = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let got = "";
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no ${until} within ${ms} ms; got ${JSON.stringify(got.slice(0, 200))}`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    s.on("connect", () => write(s));
    s.on("data", (b) => {
      got += b.toString();
      if (until.test(got)) done();
    });
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

const head = (path: string, length: number, key: string | null) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${key ? `Authorization: Bearer ${key}\r\n` : ""}\r\n`;

const until = async (cond: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("serveNode over loopback", () => {
  it("20 keyless 1 MB POSTs are each answered 401 after the headers alone: the body is never waited for, read or parsed", async () => {
    const { server: s, lines } = await start();
    const MB = 1_000_000;
    for (let i = 0; i < 20; i++) {
      const path = ["/trpc/retrieve", "/v1/retrieve", "/trpc/retrieve,lookup?batch=1", "/trpc/jobs.trigger"][i % 4]!;
      // Only the headers and 1 KB of the promised 1 MB are sent: an answer proves nothing waited for the rest.
      const got = await raw(s.port, (sock) => sock.write(head(path, MB, null) + "[".repeat(1_024)), /\r\n\r\n\{.*\}/s);
      expect(got, path).toMatch(/^HTTP\/1\.1 401 /);
      expect(got).toContain("UNAUTHORIZED");
    }
    await until(() => lines.filter((l) => l.msg === "request").length >= 20);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it("a refusal that leaves more than 64 KiB of its body unread closes the connection instead of reading the rest; a small one keeps it", async () => {
    const { server: s, lines } = await start();
    // Only part of each promised body is sent, and the client never closes: the server does.
    const MB = 1_000_000;
    const keyless = await raw(s.port, (sock) => sock.write(head("/trpc/retrieve", MB, null) + "x".repeat(8_192)), /$^/);
    expect(keyless).toMatch(/^HTTP\/1\.1 401 /);
    expect(keyless).toMatch(/\r\nconnection: close\r\n/i);
    // A read key's body over the value budget (issue 13 A's bomb holds 64,000 values in ~600 KB) is
    // counted as it arrives: refused once ~100 KB came in, REST and tRPC alike.
    for (const path of ["/v1/retrieve", "/trpc/retrieve"]) {
      const bomb = await raw(s.port, (sock) => sock.write(`${head(path, 600_000, READ_KEY)}{"query":"x","v":[${"1,".repeat(50_000)}`), /$^/);
      expect(bomb, path).toMatch(/^HTTP\/1\.1 400 /);
      expect(bomb).toContain("more than 8192 JSON values");
      expect(bomb).toMatch(/\r\nconnection: close\r\n/i);
    }
    // A small refused body is drained as before: the connection stays open for the next request.
    const body = '{"query":"x"}';
    const small = await raw(s.port, (sock) => sock.write(head("/v1/retrieve", body.length, "wrong-key-0123456789abcdef") + body), /\r\n\r\n\{.*\}$/s, 2_000);
    expect(small).toMatch(/^HTTP\/1\.1 401 /);
    expect(small).toMatch(/\r\nconnection: keep-alive\r\n/i);
    await until(() => lines.filter((l) => l.msg === "request").length >= 4);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it("an oversize body is 413, and the client's next request on the same keep-alive connection is answered (declared and chunked)", async () => {
    const { server: s } = await start({ config: { keys: KEYS, rateLimit: null, maxBodyBytes: 64 * 1024 } });
    const headers = { authorization: `Bearer ${READ_KEY}`, "content-type": "application/json" };
    const small = () => fetch(`${s.url}/v1/retrieve`, { method: "POST", headers, body: '{"query":"red dress"}', signal: AbortSignal.timeout(5_000) });
    const chunked = () => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ < 8) c.enqueue(new Uint8Array(32 * 1024).fill(0x20));
          else c.close();
        },
      });
    };
    for (const body of [() => JSON.stringify({ query: "x".repeat(200_000) }), chunked]) {
      expect((await small()).status).toBe(200);
      const big = await fetch(`${s.url}/v1/retrieve`, { method: "POST", headers, body: body(), duplex: "half", signal: AbortSignal.timeout(5_000) } as RequestInit);
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
      // Before: the body stream was opened and left half-read, so the connection stalled and the next
      // request on it failed ("other side closed") or hung.
      for (let i = 0; i < 3; i++) expect((await small()).status).toBe(200);
    }
  });

  it("a client that disconnects mid-body is a 499 at info level, not a 500 error with a stack (REST and tRPC)", async () => {
    const { server: s, lines, samples } = await start();
    for (const path of ["/v1/retrieve", "/trpc/retrieve", "/v1/items:get"]) {
      await raw(
        s.port,
        (sock) => {
          sock.write(head(path, 1_000, READ_KEY) + '{"query":"red');
          setTimeout(() => sock.destroy(), 50);
        },
        /$^/,
      );
    }
    await until(() => samples.length >= 3);
    expect(samples.map((x) => x.status)).toEqual([499, 499, 499]);
    const recorded = lines.filter((l) => l.status === 499);
    expect(recorded.map((l) => [l.level, l.msg])).toEqual(Array(3).fill([30, "client closed request"]));
    expect(lines.filter((l) => l.level >= 40 || l.err !== undefined)).toEqual([]);
  });

  it("only the client's own going away counts as an abort, not the server's outbound failures", () => {
    const aborted = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    expect(isClientAbort(aborted)).toBe(true);
    expect(isClientAbort(new TypeError("terminated", { cause: aborted }))).toBe(true);
    expect(isClientAbort(new DOMException("gone", "AbortError"))).toBe(true);
    expect(isClientAbort(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe(false);
    expect(isClientAbort(new Error("socket hang up"))).toBe(false);
  });

  it("a client that leaves while its answer is being computed is a 499 too", async () => {
    const base = memoryService();
    const slow: RetrievalService = { ...base, retrieve: async (req) => (await new Promise((r) => setTimeout(r, 300)), base.retrieve(req)) };
    const { server: s, lines, samples } = await start({ service: slow });
    const body = '{"query":"red dress"}';
    await raw(
      s.port,
      (sock) => {
        sock.write(head("/v1/retrieve", body.length, READ_KEY) + body);
        setTimeout(() => sock.destroy(), 50);
      },
      /$^/,
    );
    await until(() => samples.length >= 1);
    expect(samples[0]!.status).toBe(499);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it("500 wrong-key requests from one address: mostly 429 after the burst, with Retry-After; a valid key still 200; X-Forwarded-For is not trusted by default", async () => {
    const { server: s } = await start();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) {
      // A made-up X-Forwarded-For must not buy a fresh bucket.
      const r = await fetch(`${s.url}/v1/releases`, { headers: { authorization: `Bearer wrong-key-${i}-0123456789`, "x-forwarded-for": `198.51.100.${i % 250}` } });
      await r.arrayBuffer();
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    const seconds = (performance.now() - t0) / 1000;
    const n401 = statuses.filter((x) => x === 401).length;
    // Default 10/s, burst 20: the burst, then 10 per second of the run, are 401; the rest 429.
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(n401).toBeLessThanOrEqual(20 + Math.ceil(10 * seconds) + 1);
    if (seconds < 10) expect(statuses.filter((x) => x === 429).length).toBeGreaterThan(350);
    expect(statuses.every((x) => x === 401 || x === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const ok = await fetch(`${s.url}/v1/releases`, { headers: { authorization: `Bearer ${READ_KEY}` } });
    expect(ok.status).toBe(200);
  });

  it("a key's limit charges by cost: 20 of the costliest retrieves drain a burst of 98 that lets 98 plain ones through; Retry-After is right", async () => {
    // A refill too slow to matter during the test: what passes is the burst alone.
    const rateLimit = { perSecond: 0.001, burst: 98 };
    const { server: s } = await start({ config: { keys: KEYS, rateLimit } });
    const leaves = Array.from({ length: 125 }, (_, l) => ({ op: "in", field: "brand", values: Array.from({ length: 8 }, (_, v) => `b${l}-${v}`) }));
    const costly = JSON.stringify({
      query: "red dress",
      k: 1000,
      filters: {
        op: "or",
        filters: [
          { op: "or", filters: leaves.slice(0, 63) },
          { op: "or", filters: leaves.slice(63) },
        ],
      },
    });
    const plain = '{"query":"red dress"}';
    const send = async (path: string, body: string) => {
      const r = await fetch(`${s.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${READ_KEY}`, "content-type": "application/json" }, body });
      await r.arrayBuffer();
      return r;
    };
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await send(i % 2 ? "/trpc/retrieve" : "/v1/retrieve", costly)).status);
    // 5 tokens a call, let in while the bucket holds one: 98 → 3 after 19, -2 after the 20th.
    expect(statuses).toEqual([...Array(20).fill(200), 429, 429]);
    const refused = await send("/v1/retrieve", plain);
    expect(refused.status).toBe(429);
    // One token is 3 away: 3,000 s at 0.001/s (less the few ms of refill since).
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(2_990);
    expect(retryAfter).toBeLessThanOrEqual(3_000);
    await s.close();

    // The same burst on a fresh server: 98 plain retrieves pass, the 99th does not.
    const { server: s2 } = await start({ config: { keys: KEYS, rateLimit } });
    const plainStatuses: number[] = [];
    for (let i = 0; i < 99; i++) {
      const r = await fetch(`${s2.url}/v1/retrieve`, { method: "POST", headers: { authorization: `Bearer ${READ_KEY}`, "content-type": "application/json" }, body: plain });
      await r.arrayBuffer();
      plainStatuses.push(r.status);
    }
    expect(plainStatuses).toEqual([...Array(98).fill(200), 429]);
  });

  it("with trustProxyHops 1, the address the proxy appended to X-Forwarded-For is the client's", async () => {
    const { server: s } = await start({ config: { unauthRateLimit: { perSecond: 1, burst: 2 }, trustProxyHops: 1 } });
    const from = async (xff: string) => (await fetch(`${s.url}/v1/releases`, { headers: { "x-forwarded-for": xff } })).status;
    expect([await from("6.6.6.6, 203.0.113.1"), await from("7.7.7.7, 203.0.113.1"), await from("203.0.113.1")]).toEqual([401, 401, 429]);
    expect(await from("203.0.113.1, 203.0.113.2")).toBe(401);
  });
});
