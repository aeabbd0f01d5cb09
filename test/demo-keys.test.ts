// `npm start` keeps its generated API keys in the demo folder (keys.json, mode 0600) and reuses them,
// so the curl line and SDK snippet it printed keep working after a restart (issue 13 F).
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEMO_KEYS_FILE, demoKeysEnv, loadOrCreateDemoKeys } from "../bin/demo-keys.ts";
import { parseConfig } from "../api/http/index.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-demo-keys-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe("demo keys", () => {
  it("are generated once into keys.json (mode 0600) and reused by every later start", async () => {
    const first = await loadOrCreateDemoKeys(dir);
    expect(first).toMatchObject({ created: true, path: join(dir, DEMO_KEYS_FILE) });
    expect(first.keys.read).toMatch(/^[0-9a-f]{48}$/);
    expect(first.keys.admin).not.toBe(first.keys.read);
    expect(await mode(first.path)).toBe(0o600);
    const second = await loadOrCreateDemoKeys(dir);
    expect(second).toEqual({ keys: first.keys, path: first.path, created: false });
    expect(JSON.parse(await readFile(first.path, "utf8"))).toMatchObject(first.keys);
  });

  it("a keys file readable by others is tightened to 0600, not replaced", async () => {
    const { keys, path } = await loadOrCreateDemoKeys(dir);
    await chmod(path, 0o644);
    expect((await loadOrCreateDemoKeys(dir)).keys).toEqual(keys);
    expect(await mode(path)).toBe(0o600);
  });

  it("an unusable keys file is replaced, saying why", async () => {
    await writeFile(join(dir, DEMO_KEYS_FILE), '{"read":"short","admin":"short"}', { mode: 0o644 });
    const r = await loadOrCreateDemoKeys(dir);
    expect(r.created).toBe(true);
    expect(r.replaced).toMatch(/48-hex-digit/);
    expect(await mode(r.path)).toBe(0o600);
    await writeFile(r.path, "{oops");
    expect((await loadOrCreateDemoKeys(dir)).replaced).toBe("not JSON");
  });

  it("become VITRINE_API_KEYS the server accepts: a read key and an admin key", async () => {
    const { keys } = await loadOrCreateDemoKeys(dir);
    expect(parseConfig({ VITRINE_API_KEYS: demoKeysEnv(keys) }).keys).toEqual([
      { id: "demo-admin", key: keys.admin, role: "admin" },
      { id: "demo-read", key: keys.read, role: "read" },
    ]);
  });
});
