// The data directory's key file and `vitrine keys` (in process): created mode 0600, secrets shown
// once on stdout and never by list, refused when others may read it or when it is broken.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EXIT_CODES } from "../../core/index.ts";
import { keysCommand } from "../cli.ts";
import { createKey, keyFilePath, readKeyFile, revokeKey } from "./key-file.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-keys-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** Run `vitrine keys ...` in process; returns the exit code and what it printed. */
async function keys(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((m: string) => void out.push(String(m)));
  vi.spyOn(console, "error").mockImplementation((m: string) => void err.push(String(m)));
  const code = await keysCommand(argv, {});
  vi.restoreAllMocks();
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("vitrine keys", () => {
  it("create prints the secret alone on stdout and keeps it in DIR/api-keys.json, mode 0600; list shows ids and roles, never secrets", async () => {
    const shop = await keys("create", "shop", "--data", dir);
    expect(shop.code).toBe(0);
    expect(shop.out).toMatch(/^[0-9a-f]{48}$/);
    expect(shop.err).toContain(keyFilePath(dir));
    const ops = await keys("create", "ops", "--role", "admin", "--data", dir);
    expect(ops.out).toMatch(/^[0-9a-f]{48}$/);
    expect(ops.out).not.toBe(shop.out);
    expect((await stat(keyFilePath(dir))).mode & 0o777).toBe(0o600);
    const file = await readKeyFile(dir);
    expect(file!.keys.map(({ id, key, role }) => ({ id, key, role }))).toEqual([
      { id: "shop", key: shop.out, role: "read" },
      { id: "ops", key: ops.out, role: "admin" },
    ]);
    const list = await keys("list", "--data", dir);
    expect(list.out).toMatch(/^shop\tread\t\d{4}-.*\nops\tadmin\t\d{4}-/);
    expect(list.out).not.toContain(shop.out);
    expect(list.out).not.toContain(ops.out);
  });

  it("refuses a second key with the same id (5), an unknown role (2), a missing data directory (4); revoke removes a key, twice is 4", async () => {
    expect((await keys("create", "shop", "--data", dir)).code).toBe(0);
    const again = await keys("create", "shop", "--data", dir);
    expect(again.code).toBe(EXIT_CODES.conflict);
    expect(again.err).toMatch(/a key "shop" exists/);
    const role = await keys("create", "x", "--role", "owner", "--data", dir);
    expect(role.code).toBe(EXIT_CODES.usage);
    expect(role.err).toMatch(/--role must be one of read, admin, search, got "owner"/);
    expect((await keys("list", "--data", join(dir, "nope"))).code).toBe(EXIT_CODES.missing);
    expect((await keys("create", "bad id", "--data", dir)).code).toBe(EXIT_CODES.usage);
    expect((await keys("revoke", "shop", "--data", dir)).code).toBe(0);
    expect((await readKeyFile(dir))!.keys).toEqual([]);
    const twice = await keys("revoke", "shop", "--data", dir);
    expect(twice.code).toBe(EXIT_CODES.missing);
    expect(twice.err).toMatch(/no key "shop"/);
  });

  it("a key file others may read, or one that is broken, is refused with the fix", async () => {
    expect(await readKeyFile(dir)).toBeNull();
    await createKey(dir, "shop", "read");
    await chmod(keyFilePath(dir), 0o644);
    await expect(readKeyFile(dir)).rejects.toThrow(/others may read it \(mode 0644\); run: chmod 600 /);
    await chmod(keyFilePath(dir), 0o600);
    const text = JSON.parse(await readFile(keyFilePath(dir), "utf8")) as { keys: { key: string }[] };
    text.keys[0]!.key = "short";
    await writeFile(keyFilePath(dir), JSON.stringify(text), { mode: 0o600 });
    await expect(readKeyFile(dir)).rejects.toThrow(/keys\.0\.key: key must be at least 16 characters/);
    await writeFile(keyFilePath(dir), "{", { mode: 0o600 });
    await expect(readKeyFile(dir)).rejects.toThrow(/not JSON/);
    await writeFile(keyFilePath(dir), '{"keys":{}}', { mode: 0o600 });
    await expect(readKeyFile(dir)).rejects.toThrow(/expected \{ "keys": \[/);
    await expect(revokeKey(dir, "shop")).rejects.toThrow(/expected/);
  });
});
