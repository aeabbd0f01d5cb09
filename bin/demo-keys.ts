// The demo's API keys: generated on the first `npm start`, kept in the demo folder (keys.json, mode
// 0600) and reused by every later start, so the curl line and SDK snippet the demo printed keep
// working after a restart. A real deployment configures its own keys (VITRINE_API_KEYS).
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The demo's two keys: read for apps, admin for jobs and releases. */
export interface DemoKeys {
  read: string;
  admin: string;
}

/** Where the keys are, whether this call created them, and why an old file was replaced. */
export interface DemoKeysResult {
  keys: DemoKeys;
  path: string;
  created: boolean;
  /** Set when keys.json existed but could not be used (and was replaced). */
  replaced?: string;
}

/** The keys file's name in the demo folder. */
export const DEMO_KEYS_FILE = "keys.json";

const KEY = /^[0-9a-f]{48}$/;

function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function parse(text: string): DemoKeys | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  const k = v as Partial<DemoKeys> | null;
  if (typeof k?.read !== "string" || typeof k.admin !== "string" || !KEY.test(k.read) || !KEY.test(k.admin) || k.read === k.admin) {
    return "not two distinct 48-hex-digit keys {read, admin}";
  }
  return { read: k.read, admin: k.admin };
}

/** Read the demo's keys from `dir`/keys.json, creating the file (mode 0600) when it is absent or unusable. */
export async function loadOrCreateDemoKeys(dir: string): Promise<DemoKeysResult> {
  const path = join(dir, DEMO_KEYS_FILE);
  let replaced: string | undefined;
  const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return null;
    throw e;
  });
  if (text !== null) {
    const keys = parse(text);
    if (typeof keys !== "string") {
      // Secrets readable by others are tightened, not trusted less.
      if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
      return { keys, path, created: false };
    }
    replaced = keys;
  }
  const keys: DemoKeys = { read: randomKey(), admin: randomKey() };
  await writeFile(path, `${JSON.stringify({ ...keys, note: "vitrine demo API keys, reused by every npm start; delete this file for new ones" }, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only to a new file: an unusable old one keeps its own otherwise.
  await chmod(path, 0o600);
  return { keys, path, created: true, ...(replaced ? { replaced } : {}) };
}

/** VITRINE_API_KEYS for the demo's keys. */
export function demoKeysEnv(keys: DemoKeys): string {
  return `demo-admin:${keys.admin}:admin,demo-read:${keys.read}:read`;
}
