import { describe, expect, it } from "vitest";
import { nextReleaseId, releaseOfTable } from "./release-names.ts";

describe("release names", () => {
  it("numbers past every release and leftover table", () => {
    expect(nextReleaseId([], [])).toBe("r001");
    expect(nextReleaseId(["catalog", "items_r001", "qids_r004", "releases"], ["r001"])).toBe("r005");
    expect(nextReleaseId(["items_r999"], [])).toBe("r1000");
    expect(releaseOfTable("lexicon_r012")).toBe("r012");
    expect(releaseOfTable("ivf_r012")).toBe("r012");
    expect(releaseOfTable("items_rx")).toBeNull();
  });
});
