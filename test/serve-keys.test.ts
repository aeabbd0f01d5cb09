// `vitrine serve` without configured keys (issue 13): it refuses to start, naming VITRINE_API_KEYS
// and `vitrine keys create`; with keys created in the data directory it serves them, the same ones
// after a restart; a key file others may read stops it. Real processes and HTTP on loopback.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../core/index.ts";

let dir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-serve-keys-"));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

// The environment without any key configuration of the caller's.
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, VITRINE_LOG_LEVEL: "warn" };
  for (const k of ["VITRINE_API_KEYS", "VITRINE_CONFIG", "VITRINE_DATA", "VITRINE_PORT"]) delete e[k];
  return e;
}

/** Run `vitrine ...` to its end. */
function vitrine(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/vitrine.js", ...args], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    let err = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    child.once("close", (code) => resolve({ code, out, err }));
  });
}

/** Start `vitrine serve` on a free port: its URL and what it printed once it listens. */
async function serve(): Promise<{ child: ChildProcess; url: string; err: string }> {
  const child = spawn(process.execPath, ["bin/vitrine.js", "serve", "--data", dir, "--port", "0"], { env: env(), stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /listening on (http:\/\/\S+)/.exec(err)?.[1];
    if (url && /keys: /.test(err)) return { child, url, err };
    if (child.exitCode !== null) throw new Error(`vitrine serve exited ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`vitrine serve did not listen: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.kill("SIGTERM");
  return exited;
}

const status = async (url: string, key: string) => (await fetch(`${url}/v1/releases`, { headers: { authorization: `Bearer ${key}` } })).status;

describe("vitrine serve's keys", () => {
  it("refuses to start without keys, serves the keys `vitrine keys create` kept in the data directory, the same after a restart", async () => {
    const none = await vitrine("serve", "--data", dir, "--port", "0");
    expect(none.code).toBe(EXIT_CODES.missing);
    expect(none.err).toMatch(/NO_KEYS: no API keys/);
    expect(none.err).toContain(`vitrine keys create <id> [--role admin] --data ${dir}`);
    expect(none.err).toContain("VITRINE_API_KEYS");

    const created = await vitrine("keys", "create", "shop", "--data", dir);
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(key).toMatch(/^[0-9a-f]{48}$/);

    for (let start = 0; start < 2; start++) {
      const s = await serve();
      expect(s.err).toContain(`keys: shop (read) from ${join(dir, "api-keys.json")}`);
      expect(await status(s.url, key)).toBe(200);
      expect(await status(s.url, "0".repeat(48))).toBe(401);
      expect(await stop(s.child)).toBe(0);
    }

    // A storefront's search key, bound to its shop's origin: served with that binding.
    const web = await vitrine("keys", "create", "web", "--role", "search", "--origin", "https://shop.example", "--origin", "https://www.shop.example", "--data", dir);
    expect(web.code, web.err).toBe(0);
    const webKey = web.out.trim();
    const bad = await vitrine("keys", "create", "web2", "--role", "search", "--origin", "https://shop.example/path", "--data", dir);
    expect(bad.code).toBe(EXIT_CODES.input);
    expect(bad.err).toMatch(/--origins?/);
    const listed = await vitrine("keys", "list", "--data", dir);
    expect(listed.out).toMatch(/^web\tsearch\t\S+\thttps:\/\/shop\.example https:\/\/www\.shop\.example$/m);
    const s = await serve();
    expect(s.err).toContain("web (search)");
    const items = (origin: string) =>
      fetch(`${s.url}/v1/items?ids=x`, { headers: { authorization: `Bearer ${webKey}`, origin } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const elsewhere = await items("https://evil.example");
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toContain("may be used only from https://shop.example, https://www.shop.example");
    expect((await items("https://www.shop.example")).status).not.toBe(403);
    expect(await stop(s.child)).toBe(0);

    await chmod(join(dir, "api-keys.json"), 0o640);
    const open = await vitrine("serve", "--data", dir, "--port", "0");
    expect(open.code).toBe(EXIT_CODES.input);
    expect(open.err).toContain(`run: chmod 600 ${join(dir, "api-keys.json")}`);
  }, 120_000);
});
