// A data URI Vitrine does not support is refused by the verbs themselves as a usage error (exit 2)
// naming the store, what is supported and the fix — serve before it asks for keys.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

function vitrine(...args: string[]) {
  const env = { ...process.env };
  for (const k of ["VITRINE_API_KEYS", "VITRINE_DATA", "VITRINE_CONFIG"]) delete env[k];
  return spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 60_000, env });
}

describe("unsupported store URIs on the command line", () => {
  it("releases list --data gs://… and serve --data az://… exit 2 naming the store and the fix", () => {
    const gs = vitrine("releases", "list", "--data", "gs://shop/prod");
    expect(gs.status, gs.stderr).toBe(2);
    expect(gs.stderr).toContain("Google Cloud Storage is not supported directly");
    expect(gs.stderr).toContain("s3://BUCKET/PREFIX");

    const az = vitrine("serve", "--data", "az://container/prod", "--port", "0");
    expect(az.status, az.stderr).toBe(2);
    expect(az.stderr).toContain("Azure Blob Storage is not supported");
    expect(az.stderr).not.toContain("NO_KEYS");
  }, 120_000);
});
