// What the three store clients (s3-objects.ts, azure-objects.ts, gcs-objects.ts) share above their
// own signed requests: an object's URL under the prefix, and the three reads of StoreObjects, each
// over the client's one GET (`read`: the response when the object is there, null when it is not).
import { readBounded, storedObject, xmlText } from "./object-responses.ts";
import type { StoredObject } from "./store-objects.ts";
import { objectKey, type StoreUri } from "./store-location.ts";

/** The reads every store client answers the same way over its own GET. */
export abstract class ObjectClient {
  constructor(
    /** The store location. */
    readonly loc: StoreUri,
    /** The bucket's (container's) URL, without a trailing slash: object keys go under it. */
    protected readonly base: string,
  ) {}

  /** The URL of `name` under the prefix, each path segment escaped. */
  protected url(name: string): string {
    return `${this.base}/${objectKey(this.loc, name).split("/").map(encodeURIComponent).join("/")}`;
  }

  /** A GET of `name`: the response when it is there (its ETag header the version conditional writes take), null when it is not. */
  protected abstract read(name: string): Promise<Response | null>;

  /**
   * The names directly under folder `dir` from ListObjectsV2-style listings (S3's, and GCS's XML API,
   * which answers in the same shape): objects and sub-folders by name, sorted; pages of 1,000 until
   * `max`. `page` sends one listing request with the query and returns its XML (or throws the
   * client's own error).
   */
  protected async listV2(dir: string, max: number, page: (query: URLSearchParams) => Promise<string>): Promise<string[]> {
    const key = `${objectKey(this.loc, dir).replace(/\/+$/, "")}/`;
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const text = await page(new URLSearchParams({ "list-type": "2", prefix: key, delimiter: "/", "max-keys": "1000", ...(token ? { "continuation-token": token } : {}) }));
      for (const m of text.matchAll(/<(?:Key|Prefix)>([^<]*)<\/(?:Key|Prefix)>/g)) {
        const full = xmlText(m[1]!);
        if (full.length > key.length && full.startsWith(key)) names.add(full.slice(key.length).replace(/\/$/, ""));
      }
      const truncated = !/<IsTruncated>false<\/IsTruncated>/.test(text);
      token = truncated ? xmlText(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(text)?.[1] ?? "") || undefined : undefined;
    } while (token && names.size < max);
    return [...names].sort().slice(0, max);
  }

  /** Read `name`, or null when there is none. */
  async get(name: string): Promise<StoredObject | null> {
    const res = await this.read(name);
    return res ? storedObject(res) : null;
  }

  /** The bytes of `name`, or null when there is none (model files). */
  async getBytes(name: string): Promise<Uint8Array | null> {
    const res = await this.read(name);
    return res && new Uint8Array(await res.arrayBuffer());
  }

  /** The bytes of `name` when it holds at most `maxBytes`; null when there is none, "too large" (the read stopped there) past it. */
  async getBytesUpTo(name: string, maxBytes: number): Promise<Uint8Array | null | "too large"> {
    const res = await this.read(name);
    return res && readBounded(res, maxBytes);
  }
}
