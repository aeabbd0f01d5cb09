import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalTerms, evaluateRankings } from "../../core/index.ts";
import { buildEvalQueries } from "./eval-queries.ts";
import { loadTitleSlices, readDatasetTruth, TITLE_NAMES_SLICE, TITLE_OMITS_SLICE, titleNamesQueriedAttributes, titleOmitsQueriedAttribute } from "./slices.ts";

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const truth = (id: string, type: string, c: boolean, p: boolean, t = true) => ({ id, type, title_mentions_colour: c, title_mentions_pattern: p, title_mentions_type: t });

describe("title-omits-attribute slice", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("demo: colour/pattern asked but missing from the title; fashion-mnist: type", () => {
    const demoItem = { ...truth("a", "dress", false, true), colour: "red", pattern: "striped" };
    expect(titleOmitsQueriedAttribute({ type: "dress", colour: "red" }, demoItem)).toBe(true); // colour not in title
    expect(titleOmitsQueriedAttribute({ type: "dress", pattern: "striped" }, demoItem)).toBe(false); // pattern is
    expect(titleOmitsQueriedAttribute({ type: "dress" }, demoItem)).toBe(false); // demo titles always name the type
    const fm = truth("b", "sneaker", false, false, false);
    expect(titleOmitsQueriedAttribute({ type: "sneaker", brand: "Acme" }, fm)).toBe(true);
    expect(titleOmitsQueriedAttribute({ brand: "Acme" }, fm)).toBe(false); // brand is not an omittable attribute
    expect(titleOmitsQueriedAttribute({ type: "sneaker", colour: "red" }, fm, ["colour"])).toBe(true);
    // The complement among pairs that ask an omittable attribute.
    expect(titleNamesQueriedAttributes({ type: "dress", pattern: "striped" }, demoItem)).toBe(true);
    expect(titleNamesQueriedAttributes({ type: "dress", colour: "red", pattern: "striped" }, demoItem)).toBe(false); // colour missing
    expect(titleNamesQueriedAttributes({ brand: "Acme" }, fm)).toBe(false); // asks nothing omittable: in neither slice
    expect(titleNamesQueriedAttributes({ type: "sneaker" }, fm)).toBe(false);
  });

  it("reads a dataset folder, keys queries by canonical terms, and slices recall", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vitrine-slices-"));
    dirs.push(dir);
    expect(await readDatasetTruth(dir)).toBeNull(); // no truth files: not a generated dataset
    await writeFile(join(dir, "truth.jsonl"), jsonl([truth("i0", "dress", true, true), truth("i1", "dress", false, true), truth("i2", "shirt", false, false)]));
    await writeFile(
      join(dir, "queries.jsonl"),
      jsonl([
        { query: "Red Dress", intent: { type: "dress", colour: "red" }, template: "colour type" },
        { query: "dress red", intent: { type: "dress", colour: "red" }, template: "colour type" },
        { query: "shirt", intent: { type: "shirt" }, template: "type" },
      ]),
    );
    const itemIds = ["i0", "i1", "i2"];
    const queries = [canonicalTerms("red dress"), canonicalTerms("shirt"), "unknown query"];
    const [slice, names] = await loadTitleSlices(dir, { queries, itemIds });
    expect([slice!.name, names!.name]).toEqual([TITLE_OMITS_SLICE, TITLE_NAMES_SLICE]);
    expect(slice!.item!(0, 0)).toBe(false); // i0 names the colour
    expect(names!.item!(0, 0)).toBe(true);
    expect(slice!.item!(0, 1)).toBe(true); // i1 omits it
    expect(names!.item!(0, 1)).toBe(false);
    expect(slice!.item!(1, 2)).toBe(false); // only the type is asked and the title names it
    expect(names!.item!(1, 2)).toBe(true);
    expect(slice!.item!(2, 1) || names!.item!(2, 1)).toBe(false); // unknown query: outside both

    // Query 0 clicked i0 and i1, ranked [0, 2, 1]: overall Recall@2 = 1/2; in the slice only i1 counts → 0/1.
    const eq = buildEvalQueries({
      queries: queries.slice(0, 1),
      targets: [new Set([0, 1])],
      rankings: [[0, 2, 1]],
      itemIds,
      judgments: [
        { terms: queries[0]!, item_id: "i1", grade: 1 },
        { terms: queries[0]!, item_id: "gone", grade: 1 },
      ],
    });
    expect(eq[0]!.grades).toEqual(new Map([[1, 1]]));
    const t = evaluateRankings({ queries: eq, ks: [2, 3], slices: [slice!, names!] });
    expect(t.overall.recall).toEqual({ 2: 0.5, 3: 1 });
    expect(t.slices[TITLE_OMITS_SLICE]!.recall).toEqual({ 2: 0, 3: 1 });
    expect(t.slices[TITLE_NAMES_SLICE]!.recall).toEqual({ 2: 1, 3: 1 }); // i0, ranked first
  });

  it("buildEvalQueries rejects mismatched lengths", () => {
    expect(() => buildEvalQueries({ queries: ["a"], targets: [], rankings: [], itemIds: [] })).toThrow(RangeError);
  });
});
