// Data URIs: s3://, az:// and gs:// parse; gcs://, abfss:// and the rest are refused, each naming
// what is supported and the fix for that store. Azure's settings come from the environment: an
// account name and key, or a connection string; GCS's, a service account's JSON key (a file's path,
// or the JSON itself), or with none the metadata server (its settings: gcs-metadata.test.ts).
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "./errors.ts";
import { azureSettings, type GcsKeySettings, gcsSettings as anyGcsSettings, isStoreUri, lanceStorageOptions, lanceTimeoutOptions, parseStoreUri } from "./store-location.ts";

/** The GCS settings of an environment that gives a key. */
const gcsSettings = (env: Record<string, string>): GcsKeySettings => {
  const s = anyGcsSettings(env);
  if (s.auth !== "key") throw new Error(`no key read: ${s.source}`);
  return s;
};

const refusal = (uri: string): StoreError => {
  try {
    parseStoreUri(uri);
  } catch (e) {
    return e as StoreError;
  }
  throw new Error(`${uri} was accepted`);
};

describe("store URIs", () => {
  it("s3://bucket/prefix parses, trailing slashes and empty segments dropped", () => {
    expect(parseStoreUri("s3://shop-search/prod//eu/")).toEqual({ uri: "s3://shop-search/prod/eu", scheme: "s3", bucket: "shop-search", prefix: "prod/eu" });
    expect(parseStoreUri("S3://shop-search")).toEqual({ uri: "s3://shop-search", scheme: "s3", bucket: "shop-search", prefix: "" });
    expect(refusal("s3://Bad_Bucket/x").message).toContain("is not a bucket name");
  });

  it("gs://bucket/prefix parses by GCS's bucket rules (underscores, dotted names up to 222); gcs:// is told to write gs://", () => {
    expect(parseStoreUri("gs://shop_search/prod//eu/")).toEqual({ uri: "gs://shop_search/prod/eu", scheme: "gs", bucket: "shop_search", prefix: "prod/eu" });
    expect(parseStoreUri("GS://shop")).toEqual({ uri: "gs://shop", scheme: "gs", bucket: "shop", prefix: "" });
    const dotted = `${"a".repeat(63)}.${"b".repeat(63)}.example.com`;
    expect(parseStoreUri(`gs://${dotted}/p`).bucket).toBe(dotted);
    for (const uri of [
      "gs://Shop/p",
      "gs://-shop/p",
      "gs://shop_/p",
      `gs://${"a".repeat(64)}/p`,
      `gs://${"a".repeat(64)}.example.com/p`,
      "gs://goog-shop/p",
      "gs://my-google-shop/p",
      "gs://192.168.5.4/p",
      "gs://",
    ]) {
      const e = refusal(uri);
      expect(e.code).toBe("BAD_OPTION");
      expect(e.message).toContain("is not a GCS bucket name");
      expect(e.message).toContain("gs://BUCKET/PREFIX");
    }
    const e = refusal("gcs://shop/prod");
    expect([e.code, e.kind]).toEqual(["BAD_OPTION", "usage"]);
    expect(e.message).toContain("--data gcs://shop/prod: write a Google Cloud Storage store as gs://BUCKET/PREFIX (--data gs://shop/prod;");
  });

  it("az://container/prefix parses; a name Azure would refuse (dots, two hyphens in a row) is refused naming the rule", () => {
    expect(parseStoreUri("az://shop-search/prod//eu/")).toEqual({ uri: "az://shop-search/prod/eu", scheme: "az", bucket: "shop-search", prefix: "prod/eu" });
    expect(parseStoreUri("AZ://shop")).toEqual({ uri: "az://shop", scheme: "az", bucket: "shop", prefix: "" });
    for (const uri of ["az://shop.search/p", "az://shop--search/p", "az://Shop/p", "az://"]) {
      const e = refusal(uri);
      expect(e.code).toBe("BAD_OPTION");
      expect(e.message).toContain("is not a container name");
      expect(e.message).toContain("az://CONTAINER/PREFIX");
    }
  });

  it("azure://, abfs:// and abfss:// are told to write az://CONTAINER/PREFIX with the account in the environment", () => {
    for (const uri of ["azure://container/prod", "abfss://c@acct.dfs.core.windows.net/p", "abfs://c@acct.dfs.core.windows.net/p"]) {
      const e = refusal(uri);
      expect(e.code).toBe("BAD_OPTION");
      expect(e.message).toContain("az://CONTAINER/PREFIX");
      expect(e.message).toContain("AZURE_STORAGE_ACCOUNT_NAME");
    }
  });

  it("Azure settings: name and key, or a connection string; the endpoint defaults to the account's; missing ones are named", () => {
    const key = Buffer.from("not a real key").toString("base64");
    expect(azureSettings({ AZURE_STORAGE_ACCOUNT_NAME: "shop", AZURE_STORAGE_ACCOUNT_KEY: key })).toEqual({ accountName: "shop", accountKey: key, endpoint: "https://shop.blob.core.windows.net" });
    const conn = `DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=${key};BlobEndpoint=http://127.0.0.1:10000/dev/;`;
    expect(azureSettings({ AZURE_STORAGE_CONNECTION_STRING: conn })).toEqual({ accountName: "dev", accountKey: key, endpoint: "http://127.0.0.1:10000/dev" });
    const sovereign = `AccountName=shop;AccountKey=${key};EndpointSuffix=core.chinacloudapi.cn`;
    expect(azureSettings({ AZURE_STORAGE_CONNECTION_STRING: sovereign }).endpoint).toBe("https://shop.blob.core.chinacloudapi.cn");
    // LanceDB gets the same account, key and endpoint; plain HTTP only for an http:// endpoint.
    const az = parseStoreUri("az://shop/prod");
    expect(lanceStorageOptions(az, { AZURE_STORAGE_CONNECTION_STRING: conn })).toEqual({
      azure_storage_account_name: "dev",
      azure_storage_account_key: key,
      azure_storage_endpoint: "http://127.0.0.1:10000/dev",
      allow_http: "true",
      ...lanceTimeoutOptions(30_000),
    });
    expect(lanceStorageOptions(az, { AZURE_STORAGE_ACCOUNT_NAME: "shop", AZURE_STORAGE_ACCOUNT_KEY: key })).not.toHaveProperty("allow_http");
    const missing = (() => {
      try {
        return azureSettings({ AZURE_STORAGE_ACCOUNT_NAME: "shop", AWS_ACCESS_KEY_ID: "x" });
      } catch (e) {
        return e as StoreError;
      }
    })() as StoreError;
    expect(missing.code).toBe("BAD_OPTION");
    expect(missing.message).toContain("AZURE_STORAGE_ACCOUNT_KEY");
    expect(missing.message).toContain("AZURE_STORAGE_CONNECTION_STRING");
    expect(() => azureSettings({ AZURE_STORAGE_ACCOUNT_NAME: "shop", AZURE_STORAGE_ACCOUNT_KEY: key, AZURE_STORAGE_ENDPOINT: "127.0.0.1:10000" })).toThrow(
      /AZURE_STORAGE_ENDPOINT=127.0.0.1:10000: expected http/,
    );
  });

  it("LanceDB's own requests get VITRINE_STORE_TIMEOUT_MS: the whole request, a connect phase no longer, retries of quick failures only within the first whole seconds of it", () => {
    const s3 = { AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s" };
    const key = Buffer.from("not a real key").toString("base64");
    const az = { AZURE_STORAGE_ACCOUNT_NAME: "shop", AZURE_STORAGE_ACCOUNT_KEY: key };
    const bounds = (uri: string, env: Record<string, string>) => {
      const o = lanceStorageOptions(parseStoreUri(uri), env);
      return [o.timeout, o.connect_timeout, o.client_max_retries, o.client_retry_timeout, o.lance_aimd_max_retries, o.download_retry_count];
    };
    // The default: 30 s a request, object_store's 5 s to connect, retries within 30 s, Lance's own extra retry layers off.
    expect(bounds("s3://shop/prod", s3)).toEqual(["30000ms", "5000ms", "3", "30", "0", "0"]);
    expect(bounds("az://shop/prod", az)).toEqual(["30000ms", "5000ms", "3", "30", "0", "0"]);
    // A short bound shortens the connect phase too; under a second there is no window to retry in.
    expect(bounds("s3://shop/prod", { ...s3, VITRINE_STORE_TIMEOUT_MS: "300" })).toEqual(["300ms", "300ms", "3", "0", "0", "0"]);
    expect(bounds("az://shop/prod", { ...az, VITRINE_STORE_TIMEOUT_MS: "2500" })).toEqual(["2500ms", "2500ms", "3", "2", "0", "0"]);
    expect(() => lanceStorageOptions(parseStoreUri("s3://shop/prod"), { ...s3, VITRINE_STORE_TIMEOUT_MS: "30s" })).toThrow(
      "VITRINE_STORE_TIMEOUT_MS=30s: expected a whole number of milliseconds, 100–3600000 (default 30000)",
    );
  });

  it("file:// is told to write a path; an unknown scheme is told what is supported", () => {
    expect(refusal("file:///srv/vitrine").message).toContain("--data /srv/vitrine");
    const e = refusal("hdfs://nn/vitrine");
    expect(e.message).toContain("hdfs:// is not a store Vitrine knows");
    expect(e.message).toContain("a local folder, s3://BUCKET/PREFIX");
    expect(e.message).toContain("az://CONTAINER/PREFIX");
    expect(e.message).toContain("gs://BUCKET/PREFIX");
    expect(isStoreUri("data/demo")).toBe(false);
  });
});

describe("GCS settings", () => {
  let dir: string;
  let keyFile: string;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const key = { type: "service_account", private_key_id: "k1", private_key: privateKey, client_email: "vitrine@shop.iam.gserviceaccount.com", token_uri: "https://oauth2.googleapis.com/token" };
  const failure = (env: Record<string, string>): StoreError => {
    try {
      anyGcsSettings(env);
    } catch (e) {
      return e as StoreError;
    }
    throw new Error("accepted");
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vitrine-gcs-settings-"));
    keyFile = join(dir, "key.json");
    await writeFile(keyFile, JSON.stringify(key));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("a key file (GOOGLE_SERVICE_ACCOUNT or GOOGLE_APPLICATION_CREDENTIALS) or the JSON inline (GOOGLE_SERVICE_ACCOUNT_KEY); GCS itself unless the key names gcs_base_url", () => {
    const s = gcsSettings({ GOOGLE_SERVICE_ACCOUNT: keyFile });
    expect({ ...s, keyJson: undefined }).toEqual({
      auth: "key",
      keyPath: keyFile,
      keyJson: undefined,
      source: `GOOGLE_SERVICE_ACCOUNT=${keyFile}`,
      clientEmail: key.client_email,
      privateKey,
      privateKeyId: "k1",
      tokenUri: "https://oauth2.googleapis.com/token",
      baseUrl: "https://storage.googleapis.com",
      disableOAuth: false,
    });
    expect(gcsSettings({ GOOGLE_APPLICATION_CREDENTIALS: keyFile }).keyPath).toBe(keyFile);
    const inline = gcsSettings({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ ...key, token_uri: undefined, gcs_base_url: "http://127.0.0.1:4443/" }) });
    expect([inline.keyPath, inline.source, inline.tokenUri, inline.baseUrl]).toEqual([undefined, "GOOGLE_SERVICE_ACCOUNT_KEY", "https://oauth2.googleapis.com/token", "http://127.0.0.1:4443"]);
    // An emulator's key without auth: the fields may be empty, as object_store's tests write them.
    const emulator = gcsSettings({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ private_key: "", private_key_id: "", client_email: "", gcs_base_url: "http://127.0.0.1:4443", disable_oauth: true }) });
    expect(emulator.disableOAuth).toBe(true);

    // LanceDB gets the same key the same way (a path, or the JSON), plain HTTP only for an http:// gcs_base_url.
    const gs = parseStoreUri("gs://shop/prod");
    expect(lanceStorageOptions(gs, { GOOGLE_SERVICE_ACCOUNT: keyFile })).toEqual({
      google_service_account: keyFile,
      google_base_url: "https://storage.googleapis.com",
      ...lanceTimeoutOptions(30_000),
    });
    const json = JSON.stringify({ ...key, gcs_base_url: "http://127.0.0.1:4443" });
    expect(lanceStorageOptions(gs, { GOOGLE_SERVICE_ACCOUNT_KEY: json, VITRINE_STORE_TIMEOUT_MS: "2500" })).toEqual({
      google_service_account_key: json,
      google_base_url: "http://127.0.0.1:4443",
      allow_http: "true",
      ...lanceTimeoutOptions(2500),
    });
  });

  it("a key is read once per file version: the same settings again, a key file replaced in place is read anew", async () => {
    const file = join(dir, "rotated.json");
    await writeFile(file, JSON.stringify(key));
    const first = gcsSettings({ GOOGLE_SERVICE_ACCOUNT: file });
    expect(gcsSettings({ GOOGLE_SERVICE_ACCOUNT: file })).toBe(first);
    await writeFile(file, JSON.stringify({ ...key, client_email: "rotated@shop.iam.gserviceaccount.com" }));
    await utimes(file, new Date(), new Date(Date.now() + 5_000)); // a new mtime, whatever the clock's resolution
    expect(gcsSettings({ GOOGLE_SERVICE_ACCOUNT: file }).clientEmail).toBe("rotated@shop.iam.gserviceaccount.com");
  });

  it("no key: the metadata server's tokens, and LanceDB gets no key either (object_store then asks the same server)", () => {
    const none = anyGcsSettings({ AWS_ACCESS_KEY_ID: "x", GOOGLE_SERVICE_ACCOUNT: " " });
    expect(none).toEqual({
      auth: "metadata",
      host: "metadata.google.internal",
      ip: "169.254.169.254",
      baseUrl: "https://storage.googleapis.com",
      source: "the metadata server at metadata.google.internal",
    });
    const gs = parseStoreUri("gs://shop/prod");
    expect(lanceStorageOptions(gs, {})).toEqual({ google_base_url: "https://storage.googleapis.com", ...lanceTimeoutOptions(30_000) });
    expect(lanceStorageOptions(gs, { GOOGLE_BASE_URL: "http://127.0.0.1:4443/" })).toEqual({ google_base_url: "http://127.0.0.1:4443", allow_http: "true", ...lanceTimeoutOptions(30_000) });
  });

  it("an unreadable or ill-formed key fails naming the variable, the field and where to get one", () => {
    expect(failure({ GOOGLE_SERVICE_ACCOUNT: join(dir, "absent.json") }).message).toContain(`GOOGLE_SERVICE_ACCOUNT=${join(dir, "absent.json")}: cannot read the service account key (ENOENT)`);
    expect(failure({ GOOGLE_SERVICE_ACCOUNT: keyFile, GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify(key) }).message).toBe(
      "both GOOGLE_SERVICE_ACCOUNT and GOOGLE_SERVICE_ACCOUNT_KEY are set: give the service account key one way (unset one of them)",
    );
    expect(failure({ GOOGLE_SERVICE_ACCOUNT_KEY: "{not json" }).message).toMatch(/^GOOGLE_SERVICE_ACCOUNT_KEY: the service account key is not JSON/);
    expect(failure({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ ...key, client_email: undefined }) }).message).toMatch(/^GOOGLE_SERVICE_ACCOUNT_KEY: the service account key has no client_email;/);
    expect(failure({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ ...key, private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }) }).message).toContain(
      "the service account key's private_key is not a PEM RSA private key",
    );
    expect(failure({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ type: "authorized_user", client_id: "x", refresh_token: "y" }) }).message).toContain('a key of type "authorized_user"');
    expect(failure({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ ...key, gcs_base_url: "localhost:4443" }) }).message).toContain('gcs_base_url "localhost:4443" is not an http(s) URL');
  });
});
