// A data URI Vitrine does not support is refused by the verbs themselves as a usage error (exit 2)
// naming the store, what is supported and the fix — serve before it asks for keys. az:// and gs://
// URIs are taken, and without their settings a verb fails as a usage error naming the variables.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

function vitrine(...args: string[]) {
  const env = { ...process.env };
  for (const k of [
    "VITRINE_API_KEYS",
    "VITRINE_DATA",
    "VITRINE_CONFIG",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "GOOGLE_SERVICE_ACCOUNT",
    "GOOGLE_SERVICE_ACCOUNT_PATH",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
  ])
    delete env[k];
  return spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 60_000, env });
}

describe("unsupported store URIs on the command line", () => {
  it("releases list --data gcs://… and serve --data abfss://… exit 2 naming the store and the fix", () => {
    const gcs = vitrine("releases", "list", "--data", "gcs://shop/prod");
    expect(gcs.status, gcs.stderr).toBe(2);
    expect(gcs.stderr).toContain("write a Google Cloud Storage store as gs://BUCKET/PREFIX (--data gs://shop/prod;");

    const abfss = vitrine("serve", "--data", "abfss://container@shop.dfs.core.windows.net/prod", "--port", "0");
    expect(abfss.status, abfss.stderr).toBe(2);
    expect(abfss.stderr).toContain("write an Azure Blob store as az://CONTAINER/PREFIX");
    expect(abfss.stderr).not.toContain("NO_KEYS");
  }, 120_000);

  it("releases list --data az://… without the account's settings exits 2 naming the variables", () => {
    const az = vitrine("releases", "list", "--data", "az://container/prod");
    expect(az.status, az.stderr).toBe(2);
    expect(az.stderr).toContain("AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY");
  }, 120_000);

  it("releases list --data gs://… without a service account key exits 2 naming the variables", () => {
    const gs = vitrine("releases", "list", "--data", "gs://shop/prod");
    expect(gs.status, gs.stderr).toBe(2);
    expect(gs.stderr).toContain("a gs:// data URI needs a service account key: GOOGLE_SERVICE_ACCOUNT (or GOOGLE_APPLICATION_CREDENTIALS)");
  }, 120_000);
});
