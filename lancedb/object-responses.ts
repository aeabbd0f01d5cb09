// What the object store clients (s3-objects.ts, azure-objects.ts, gcs-objects.ts) do with an HTTP answer: read a
// record with its ETag and age, read a body under a bound, and unescape a listing's XML text.
import type { StoredObject } from "./store-objects.ts";

/**
 * A successful GET's record: its text, ETag, and age by the store's own clock (Date − Last-Modified),
 * so no host's clock matters. Both headers are HTTP dates, whole seconds, so the difference can
 * overstate the age by up to a second (written at 12:00:00.9, read at 12:00:01.0: "1 s"); the age
 * is its lower bound, one second less, so a lease is never judged stale before its ttl.
 */
export async function storedObject(res: Response): Promise<StoredObject> {
  const text = await res.text();
  const now = Date.parse(res.headers.get("date") ?? "") || Date.now();
  const modified = Date.parse(res.headers.get("last-modified") ?? "") || now;
  return { text, etag: res.headers.get("etag") ?? "", ageSeconds: Math.max(0, (now - modified) / 1000 - 1) };
}

/**
 * Read a response body, stopping past `maxBytes`: the bytes, or "too large" (the rest cancelled).
 * A length header can be absent or wrong, so what arrives is counted.
 */
export async function readBounded(res: Response, maxBytes: number): Promise<Uint8Array | "too large"> {
  if (Number(res.headers.get("content-length") ?? 0) > maxBytes) return (await res.body?.cancel(), "too large");
  if (!res.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) return (await reader.cancel(), "too large");
    parts.push(value);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The text of an XML element's content (S3 and Azure listings escape &, <, >, quotes). */
export function xmlText(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e]!);
}
