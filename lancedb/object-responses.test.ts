import { describe, expect, it } from "vitest";
import { storedObject } from "./object-responses.ts";

const answer = (date: string, modified: string) => new Response("{}", { headers: { date, "last-modified": modified, etag: '"v1"' } });

describe("storedObject", () => {
  it("ages a record by the store's clock, as a lower bound of its whole-second headers", async () => {
    // One second apart on the headers may be a few milliseconds in truth (written 12:00:00.9, read 12:00:01.0).
    expect((await storedObject(answer("Tue, 01 Dec 2026 12:00:01 GMT", "Tue, 01 Dec 2026 12:00:00 GMT"))).ageSeconds).toBe(0);
    expect(await storedObject(answer("Tue, 01 Dec 2026 12:00:31 GMT", "Tue, 01 Dec 2026 12:00:00 GMT"))).toEqual({ text: "{}", etag: '"v1"', ageSeconds: 30 });
    // A store clock behind the write's date (no negative ages).
    expect((await storedObject(answer("Tue, 01 Dec 2026 11:59:58 GMT", "Tue, 01 Dec 2026 12:00:00 GMT"))).ageSeconds).toBe(0);
  });
});
