// Data URIs: s3:// parses; gs://, az:// and the rest are refused, each naming what is supported and
// the fix for that store.
import { describe, expect, it } from "vitest";
import { StoreError } from "./errors.ts";
import { isStoreUri, parseStoreUri } from "./store-location.ts";

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
    expect(parseStoreUri("s3://shop-search/prod//eu/")).toEqual({ uri: "s3://shop-search/prod/eu", bucket: "shop-search", prefix: "prod/eu" });
    expect(parseStoreUri("S3://shop-search")).toEqual({ uri: "s3://shop-search", bucket: "shop-search", prefix: "" });
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

  it("az:// (and azure://, abfss://) names Azure, what is supported, and the fixes (Azure Files, or MinIO beside it)", () => {
    for (const uri of ["az://container/prod", "azure://container/prod", "abfss://c@acct.dfs.core.windows.net/p"]) {
      const e = refusal(uri);
      expect(e.code).toBe("BAD_OPTION");
      expect(e.message).toContain("Azure Blob Storage is not supported");
      expect(e.message).toContain("Azure Files");
      expect(e.message).toContain("s3://BUCKET/PREFIX");
    }
  });

  it("file:// is told to write a path; an unknown scheme is told what is supported", () => {
    expect(refusal("file:///srv/vitrine").message).toContain("--data /srv/vitrine");
    const e = refusal("hdfs://nn/vitrine");
    expect(e.message).toContain("hdfs:// is not a store Vitrine knows");
    expect(e.message).toContain("a local folder or s3://BUCKET/PREFIX");
    expect(isStoreUri("data/demo")).toBe(false);
  });
});
