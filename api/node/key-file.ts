// The API keys of a data directory: DIR/api-keys.json, written by `vitrine keys create` with mode
// 0600 and read by `vitrine serve --data DIR` when no keys are configured (VITRINE_API_KEYS, the
// config file's `keys`). Stable across restarts, so the keys an app was given keep working; a serve
// with no keys anywhere refuses to start rather than inventing one.
import { chmod, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CodedError, type ErrorKind } from "../../core/index.ts";
import { ServerConfigSchema, type ApiKey } from "../http/index.ts";

/** The key file's name in the data directory. */
export const KEY_FILE = "api-keys.json";

/** A key as the file keeps it. */
export interface StoredKey extends ApiKey {
  /** When `vitrine keys create` made it (ISO 8601). */
  createdAt: string;
}

/** Why the key file cannot be used, or what a key command cannot do. */
export type KeyFileErrorCode = "NO_KEYS" | "BAD_KEY_FILE" | "KEY_EXISTS" | "KEY_NOT_FOUND";

const KINDS: Record<KeyFileErrorCode, ErrorKind> = { NO_KEYS: "missing", BAD_KEY_FILE: "input", KEY_EXISTS: "conflict", KEY_NOT_FOUND: "missing" };

/** An error of the key file, with the fix in its message. */
export class KeyFileError extends CodedError<KeyFileErrorCode> {
  override readonly name = "KeyFileError";
  get kind(): ErrorKind {
    return KINDS[this.code];
  }
}

/** The path of a data directory's key file. */
export const keyFilePath = (dataDir: string): string => join(dataDir, KEY_FILE);

function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The keys in DIR/api-keys.json, or null when there is no such file. Refused (BAD_KEY_FILE, with
 * the fix): not JSON, a key the server config would refuse, two keys with one id or secret, and a
 * file others may read or write (the secrets are in it: chmod 600).
 */
export async function readKeyFile(dataDir: string): Promise<{ path: string; keys: StoredKey[] } | null> {
  const path = keyFilePath(dataDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new KeyFileError("BAD_KEY_FILE", `${path}: cannot read it (${(e as Error).message})`);
  }
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) {
    throw new KeyFileError("BAD_KEY_FILE", `${path} holds API keys but others may read it (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 600 ${path}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new KeyFileError("BAD_KEY_FILE", `${path}: not JSON (${(e as Error).message}); recreate it with vitrine keys create --data ${dataDir}`);
  }
  const list = (raw as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new KeyFileError("BAD_KEY_FILE", `${path}: expected { "keys": [{ "id", "key", "role" }] }; recreate it with vitrine keys create --data ${dataDir}`);
  const parsed = ServerConfigSchema.safeParse({
    keys: list.map((k: Record<string, unknown>) => ({ id: k?.id, key: k?.key, role: k?.role, ...(k?.origins !== undefined ? { origins: k.origins } : {}) })),
  });
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new KeyFileError("BAD_KEY_FILE", `${path}: ${why}`);
  }
  return { path, keys: parsed.data.keys.map((k, i) => ({ ...k, createdAt: String((list[i] as { createdAt?: unknown }).createdAt ?? "") })) };
}

// Write the whole file next to its final name, then rename: a crash leaves the old file or the new.
async function writeKeyFile(dataDir: string, keys: readonly StoredKey[]): Promise<string> {
  const path = keyFilePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  const body = { note: "API keys of vitrine serve for this data directory (vitrine keys create|list|revoke). Secrets: keep this file mode 0600.", keys };
  await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

/** Add a new key (a fresh 48-hex-digit secret, with the web origins it may be used from) to the data directory's key file, creating it (mode 0600). */
export async function createKey(dataDir: string, id: string, role: string, origins: readonly string[] = []): Promise<{ key: StoredKey; path: string }> {
  const keys = (await readKeyFile(dataDir))?.keys ?? [];
  if (keys.some((k) => k.id === id)) {
    throw new KeyFileError("KEY_EXISTS", `a key "${id}" exists in ${keyFilePath(dataDir)}; pick another --id, or revoke it first (vitrine keys revoke ${id} --data ${dataDir})`);
  }
  // A key without origins may be used from anywhere: the field is left out, not written empty.
  const candidate = { id, key: randomKey(), role, ...(origins.length > 0 ? { origins } : {}) };
  const checked = ServerConfigSchema.safeParse({ keys: [candidate] });
  if (!checked.success) {
    throw new KeyFileError("BAD_KEY_FILE", checked.error.issues.map((i) => `--${i.path.includes("origins") ? "origin" : String(i.path.at(-1))}: ${i.message}`).join("; "));
  }
  const key: StoredKey = { ...checked.data.keys[0]!, createdAt: new Date().toISOString() };
  return { key, path: await writeKeyFile(dataDir, [...keys, key]) };
}

/** Remove a key from the data directory's key file (a running server keeps it until restarted). */
export async function revokeKey(dataDir: string, id: string): Promise<{ key: StoredKey; path: string }> {
  const keys = (await readKeyFile(dataDir))?.keys ?? [];
  const key = keys.find((k) => k.id === id);
  if (!key) throw new KeyFileError("KEY_NOT_FOUND", `no key "${id}" in ${keyFilePath(dataDir)}; list them with vitrine keys list --data ${dataDir}`);
  return {
    key,
    path: await writeKeyFile(
      dataDir,
      keys.filter((k) => k.id !== id),
    ),
  };
}
