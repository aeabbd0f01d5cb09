import { describe, expect, it } from "vitest";
import { resolveImageSource } from "./resolve-source.ts";

describe("resolveImageSource", () => {
  it("keeps http(s) URLs, normalised and without fragment", () => {
    expect(resolveImageSource("https://cdn.example.com/a/../b.jpg#x", "/cat")).toEqual({
      kind: "http",
      url: "https://cdn.example.com/b.jpg",
    });
    expect(resolveImageSource("  HTTP://Example.COM/p.png?w=1 ", "/cat")).toEqual({
      kind: "http",
      url: "http://example.com/p.png?w=1",
    });
  });

  it("resolves relative paths against baseDir and normalises absolute ones", () => {
    expect(resolveImageSource("img/a.png", "/data/catalog")).toEqual({ kind: "file", path: "/data/catalog/img/a.png" });
    expect(resolveImageSource("./img/../b.png", "/data/catalog")).toEqual({ kind: "file", path: "/data/catalog/b.png" });
    expect(resolveImageSource("/data/images/./c.png", "/data")).toEqual({ kind: "file", path: "/data/images/c.png" });
    expect(resolveImageSource("/srv//images/./c.png", "/data", { allowOutsidePaths: true })).toEqual({ kind: "file", path: "/srv/images/c.png" });
  });

  it("confines local paths to the catalog's folder unless allowed (issue 13 E)", () => {
    for (const outside of ["/etc/passwd", "../secrets/key.png", "img/../../x.png", "/proc/self/environ", "/data/catalog-other/a.png"]) {
      const r = resolveImageSource(outside, "/data/catalog");
      expect(r.kind, outside).toBe("invalid");
      if (r.kind === "invalid") expect(r.reason).toMatch(/outside the catalog's folder.*--allow-outside-paths/);
    }
    expect(resolveImageSource("../secrets/key.png", "/data/catalog", { allowOutsidePaths: true })).toEqual({ kind: "file", path: "/data/secrets/key.png" });
  });

  it("rejects other schemes, empty values and protocol-relative URLs with a reason", () => {
    const data = resolveImageSource(`data:image/png;base64,${"A".repeat(10_000)}`, "/x");
    expect(data.kind).toBe("invalid");
    if (data.kind === "invalid") {
      expect(data.reason).toMatch(/^unsupported image source: data:image\/png/);
      expect(data.reason.length).toBeLessThan(200);
    }
    expect(resolveImageSource("ftp://host/a.png", "/x")).toMatchObject({ kind: "invalid", reason: "unsupported image source: ftp://host/a.png" });
    expect(resolveImageSource("file:///a.png", "/x")).toMatchObject({ kind: "invalid" });
    expect(resolveImageSource("   ", "/x")).toEqual({ kind: "invalid", reason: "empty image source" });
    expect(resolveImageSource("//cdn.example.com/a.jpg", "/x")).toMatchObject({ kind: "invalid", reason: expect.stringMatching(/protocol-relative/) });
    expect(resolveImageSource("http://", "/x")).toMatchObject({ kind: "invalid", reason: expect.stringMatching(/^invalid URL/) });
  });

  it("throws on non-string arguments (a programmer mistake)", () => {
    expect(() => resolveImageSource(undefined as unknown as string, "/x")).toThrow(TypeError);
  });
});
