// Data URIs: s3:// and az:// parse; gs://, abfss:// and the rest are refused, each naming what is
// supported and the fix for that store. Azure's settings come from the environment: an account name
// and key, or a connection string.
import { describe, expect, it } from "vitest";
import { StoreError } from "./errors.ts";
import { azureSettings, isStoreUri, lanceStorageOptions, lanceTimeoutOptions, parseStoreUri } from "./store-location.ts";

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

  it("gs:// names GCS, what is supported, and both fixes (a shared volume, or the XML API after checking conditional PUT)", () => {
    for (const uri of ["gs://shop/prod", "gcs://shop/prod"]) {
      const e = refusal(uri);
      expect([e.code, e.kind]).toEqual(["BAD_OPTION", "usage"]);
      expect(e.message).toContain(`--data ${uri}: Google Cloud Storage is not supported directly`);
      expect(e.message).toContain("s3://BUCKET/PREFIX");
      expect(e.message).toContain("AWS_ENDPOINT_URL=https://storage.googleapis.com");
      expect(e.message).toContain("If-None-Match");
    }
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
    expect(isStoreUri("data/demo")).toBe(false);
  });
});
