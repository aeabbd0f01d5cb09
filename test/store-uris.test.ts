// A data URI Vitrine does not support is refused by the verbs themselves as a usage error (exit 2)
// naming the store, what is supported and the fix — serve before it asks for keys. az:// and gs://
// URIs are taken, and without their settings (gs://: no key and no metadata server) a verb fails as a
// usage error naming the variables.
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";

function vitrine(args: string[], extra: Record<string, string> = {}) {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
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
    "GOOGLE_BASE_URL",
    "GCE_METADATA_ROOT",
  ])
    if (!(k in extra)) delete env[k];
  return spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 60_000, env });
}

describe("unsupported store URIs on the command line", () => {
  it("releases list --data gcs://… and serve --data abfss://… exit 2 naming the store and the fix", () => {
    const gcs = vitrine(["releases", "list", "--data", "gcs://shop/prod"]);
    expect(gcs.status, gcs.stderr).toBe(2);
    expect(gcs.stderr).toContain("write a Google Cloud Storage store as gs://BUCKET/PREFIX (--data gs://shop/prod;");

    const abfss = vitrine(["serve", "--data", "abfss://container@shop.dfs.core.windows.net/prod", "--port", "0"]);
    expect(abfss.status, abfss.stderr).toBe(2);
    expect(abfss.stderr).toContain("write an Azure Blob store as az://CONTAINER/PREFIX");
    expect(abfss.stderr).not.toContain("NO_KEYS");
  }, 120_000);

  it("releases list --data az://… without the account's settings exits 2 naming the variables", () => {
    const az = vitrine(["releases", "list", "--data", "az://container/prod"]);
    expect(az.status, az.stderr).toBe(2);
    expect(az.stderr).toContain("AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY");
  }, 120_000);

  it("releases list --data gs://… with no key and no metadata server exits 2 at once naming the variables", async () => {
    // A port nothing listens on stands for "off GCE/GKE", so nothing leaves the machine.
    const port = await new Promise<number>((done) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => done(p));
      });
    });
    const host = `127.0.0.1:${port}`;
    const started = Date.now();
    const gs = vitrine(["releases", "list", "--data", "gs://shop/prod"], { GCE_METADATA_HOST: host, GCE_METADATA_IP: host });
    expect(gs.status, gs.stderr).toBe(2);
    expect(gs.stderr).toContain(`no service account key is set and the metadata server at ${host} did not answer`);
    expect(gs.stderr).toContain("set GOOGLE_APPLICATION_CREDENTIALS (or GOOGLE_SERVICE_ACCOUNT)");
    // Before LanceDB is asked: its own client would retry for ~20 s.
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 120_000);
});
