import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { formatEvalFileSummary, loadEvalFile } from "./eval-file.ts";

let dir: string;
const itemIds = ["p0", "p1", "p2", "p3"];
const jsonl = (rows: unknown[]) => rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-evalfile-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadEvalFile", () => {
  it("builds queries, targets and pairs from a JSONL click log, skipping what it cannot use", async () => {
    const clicks = join(dir, "clicks.jsonl");
    await writeFile(
      clicks,
      jsonl([
        { query: "red dress", item_id: "p0" }, // 1
        { query: "dress red", item_id: "p0", clicks: 2 }, // 2: same query, same pair
        { query: "Red  Dress!", item_id: "p1" }, // 3: same query, other item
        "{ not json", // 4
        { query: "blue hat", item_id: "gone" }, // 5: unknown
        { query: "hat", item_id: "gone" }, // 6: unknown
        { query: "hat", item_id: "lost" }, // 7: unknown
        { query: "!!!", item_id: "p2" }, // 8: no terms
        { query: "hat", item_id: 7 }, // 9: wrong type
        "", // 10: blank lines are not rows
        { query: "blue hat", item_id: "p3", clicks: 0 }, // 11: clicks < 1
        { query: "blue hat", item_id: "p3" }, // 12
      ]),
    );
    const set = await loadEvalFile({ clicks, itemIds });
    expect(set.queries).toEqual(["blue hat", "dress red"]);
    expect(set.targets).toEqual([new Set([3]), new Set([0, 1])]);
    expect(set.pairs).toEqual([
      { terms: "blue hat", itemId: "p3", clicks: 1 },
      { terms: "dress red", itemId: "p0", clicks: 3 },
      { terms: "dress red", itemId: "p1", clicks: 1 },
    ]);
    expect(set.counts).toEqual({ clickRows: 11, usedClickRows: 4, judgmentRows: 0, usedJudgmentRows: 0 });
    expect(set.unknownItems).toEqual([
      { id: "gone", rows: 2 },
      { id: "lost", rows: 1 },
    ]);
    expect(set.skipped.map((s) => [s.line, s.itemId ?? null])).toEqual([
      [4, null],
      [5, "gone"],
      [6, "gone"],
      [7, "lost"],
      [8, null],
      [9, null],
      [11, null],
    ]);
    const why = new Map(set.skipped.map((s) => [s.line, s.reason]));
    expect(why.get(4)).toMatch(/broken JSON/);
    expect(why.get(5)).toMatch(/item_id "gone" is not in the catalog/);
    expect(why.get(8)).toMatch(/no searchable terms/);
    expect(why.get(9)).toMatch(/item_id must be a string/);
    expect(why.get(11)).toMatch(/clicks must be ≥ 1/);
    expect(set.skipped.every((s) => s.file === clicks)).toBe(true);
    expect(set.judgments).toEqual([]);
  });

  it("reads CSV clicks and judgments, adding judged-only queries with empty targets", async () => {
    const clicks = join(dir, "clicks.csv");
    await writeFile(clicks, ["query,item_id,clicks", "red dress,p0,1", "dress red,p1,2", "hat,nope,1", "hat,p2,x"].join("\n"));
    const judgments = join(dir, "judgments.csv");
    await writeFile(judgments, ["query,item_id,grade", "Dress Red,p0,3", "green scarf,p2,1", "green scarf,nope,2", "scarf,p3,-1", "?!,p1,1"].join("\n"));
    const set = await loadEvalFile({ clicks, judgments, itemIds });
    expect(set.queries).toEqual(["dress red", "green scarf"]);
    expect(set.targets).toEqual([new Set([0, 1]), new Set()]);
    expect(set.judgments).toEqual([
      { terms: "dress red", item_id: "p0", grade: 3 },
      { terms: "green scarf", item_id: "p2", grade: 1 },
    ]);
    expect(set.counts).toEqual({ clickRows: 4, usedClickRows: 2, judgmentRows: 5, usedJudgmentRows: 2 });
    // Unknown ids are counted over both files.
    expect(set.unknownItems).toEqual([{ id: "nope", rows: 2 }]);
    expect(set.skipped.map((s) => [s.file === clicks ? "clicks" : "judgments", s.line])).toEqual([
      ["clicks", 4],
      ["clicks", 5],
      ["judgments", 4],
      ["judgments", 5],
      ["judgments", 6],
    ]);
    expect(set.skipped[1]!.reason).toMatch(/clicks must be a whole number/);
    expect(set.skipped[3]!.reason).toMatch(/grade must be ≥ 0/);
    expect(set.skipped[4]!.reason).toMatch(/no searchable terms/);

    const text = formatEvalFileSummary(set);
    expect(text).toMatch(/clicks: 4 rows, 2 used, 2 skipped/);
    expect(text).toMatch(/judgments: 5 rows, 2 used, 3 skipped/);
    expect(text).toMatch(/2 queries \(1 with clicks, 1 judged only\)/);
    expect(text).toMatch(/2 rows name 1 item id not in the catalog \(skipped\): nope \(2\)/);
    expect(text).toMatch(/3 rows are invalid:\n  clicks\.csv:5: clicks: clicks must be a whole number/);
  });

  it("lists only the first `limit` unknown ids, most named first", async () => {
    const clicks = join(dir, "many.jsonl");
    const rows = [];
    for (let i = 0; i < 12; i++) for (let n = 0; n <= i; n++) rows.push({ query: "hat", item_id: `x${i}` });
    await writeFile(clicks, jsonl(rows));
    const set = await loadEvalFile({ clicks, itemIds });
    expect(set.queries).toEqual([]);
    expect(set.unknownItems[0]).toEqual({ id: "x11", rows: 12 });
    const text = formatEvalFileSummary(set, 3);
    expect(text).toMatch(/78 rows name 12 item ids not in the catalog \(skipped\): x11 \(12\), x10 \(11\), x9 \(10\), … 9 more/);
  });

  it("names the flag and the path of a missing file", async () => {
    const missing = join(dir, "nope.jsonl");
    const e1 = await loadEvalFile({ clicks: missing, itemIds }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(TrainError);
    expect((e1 as TrainError).message).toBe(`--clicks ${missing}: file not found; pass the path of a .jsonl, .csv or .parquet file`);
    const clicks = join(dir, "ok.jsonl");
    await writeFile(clicks, jsonl([{ query: "hat", item_id: "p2" }]));
    await expect(loadEvalFile({ clicks, judgments: missing, itemIds })).rejects.toThrow(`--judgments ${missing}: file not found`);
    const txt = join(dir, "clicks.txt");
    await writeFile(txt, "x");
    await expect(loadEvalFile({ clicks: txt, itemIds })).rejects.toThrow(/--clicks .*clicks\.txt: unsupported file type "\.txt"/);
  });
});
