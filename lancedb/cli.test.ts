import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { EXIT_CODES } from "../core/index.ts";
import { publishCommand, releasesCommand } from "./cli.ts";
import { importedShop } from "./test-fixtures.ts";

let shop: Awaited<ReturnType<typeof importedShop>>;
beforeAll(async () => {
  shop = await importedShop({ items: 120, queries: 10, seed: 5 });
});
afterAll(() => shop.cleanup());
afterEach(() => vi.restoreAllMocks());

/** Run a command, capturing what it prints. */
async function run(cmd: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  const code = await cmd(argv);
  vi.restoreAllMocks();
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("vitrine publish / releases", () => {
  it("rejects bad flags with exit 2 and names the flag", async () => {
    const cases: [string[], RegExp][] = [
      [["--data", shop.dataDir, "--top-k", "0"], /--top-k/],
      [["--data", shop.dataDir, "--encoder", "bert"], /--encoder/],
      [["--data", shop.dataDir, "--ann", "flat"], /--ann/],
      [["--data", shop.dataDir, "--bogus"], /--bogus/],
      [["--data", shop.dataDir, "--top-kk", "5"], /unknown flag --top-kk \(did you mean --top-k\?\)/],
      [["--data", shop.dataDir, "--edge-list-length", "5"], /--edge-list-length only applies with --edge/],
      [["--data", shop.dataDir, "--blend", "0.7,prior:1"], /--blend must be "fit", .*prior:P.*got "0\.7,prior:1"/],
      [["--data", shop.dataDir, "--blend", "0.7,popularity:0.2"], /--blend/],
      [["--top-k", "5"], /--data/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(publishCommand, argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
    }
    expect((await run(releasesCommand, ["frobnicate", "--data", shop.dataDir])).code).toBe(2);
    expect((await run(releasesCommand, ["activate", "latest", "--data", shop.dataDir])).err).toMatch(/r003/);
    expect((await run(releasesCommand, ["gc", "--data", shop.dataDir])).err).toMatch(/--keep/);
    expect((await run(releasesCommand, ["list", "--keep", "2", "--data", shop.dataDir])).err).toMatch(/--keep applies to "releases gc" only/);
  });

  it("publishes with a summary, lists, activates, rolls back and collects", async () => {
    const p1 = await run(publishCommand, ["--data", shop.dataDir, "--top-k", "20"]);
    expect(p1.code).toBe(0);
    expect(p1.out).toMatch(/r001\s+120\s+\d+\s+128\s+hash-bow-v1\s+exact\s+vectors \d\.\d \+ BM25 \d\.\d\s+yes/);
    const p2 = await run(publishCommand, ["--data", shop.dataDir, "--no-activate", "--dim", "64", "--blend", "0.7,prior:0.2"]);
    expect(p2.out).toMatch(/r002 .*vectors 0\.7 \+ BM25 0\.3, popularity 0\.2\s+no/);
    expect(p2.out).toMatch(/vitrine releases activate r002/);
    expect((await run(releasesCommand, ["list", "--data", shop.dataDir])).out).toMatch(/^\s+r002[^\n]*\n\*\s+r001/m);
    expect((await run(releasesCommand, ["activate", "r002", "--data", shop.dataDir])).out).toBe("active: r002");
    expect((await run(releasesCommand, ["rollback", "--data", shop.dataDir])).out).toBe("active: r001 (rolled back)");
    const missing = await run(releasesCommand, ["activate", "r009", "--data", shop.dataDir]);
    // A store error exits by its kind (EXIT_CODES), the same as through the vitrine dispatcher.
    expect(missing).toMatchObject({ code: EXIT_CODES.missing });
    expect(missing.err).toMatch(/^vitrine releases: RELEASE_MISSING: no release r009/);
    const p3 = await run(publishCommand, ["--data", shop.dataDir, "--keep", "0"]);
    expect(p3.code).toBe(0);
    // r003 active, r001 its rollback target: r002 goes.
    expect(p3.out).toMatch(/removed: r002/);
    expect((await run(releasesCommand, ["gc", "--keep", "5", "--data", shop.dataDir])).out).toMatch(/removed: none/);
  });
});
