import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRows, type RawRow } from "./read-rows.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-rows-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rowsOf(name: string, lines: string[]): Promise<RawRow[]> {
  const file = join(dir, name);
  await writeFile(file, lines.join("\n"));
  const out: RawRow[] = [];
  for await (const r of readRows(file)) out.push(r);
  return out;
}
const summary = (rows: RawRow[]) => rows.map((r) => ("error" in r ? `${r.line}!` : `${r.line}:${String(r.value.id)}`));

describe("readRows: CSV with broken quoting (issue 13 F)", () => {
  const lines = (broken: (i: number) => string | null) => ["id,title,price", ...Array.from({ length: 34 }, (_, k) => broken(k + 2) ?? `a${k + 2},Title ${k + 2},5`)];

  it("reports an unclosed quote at the line it opened and resumes on the next line", async () => {
    // Line 20 opens a quote that a later, legitimate quote (line 30) closes: it used to swallow lines 20–30 into one reject at line 31.
    const rows = await rowsOf(
      "late-close.csv",
      lines((i) => (i === 20 ? `a${i},"Broken title,3` : i === 30 ? `a${i},"ok",4` : null)),
    );
    const bad = rows.filter((r) => "error" in r);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ line: 20, error: expect.stringMatching(/quoted field opened on line 20 is not closed properly \(noticed on line 30/) });
    expect(summary(rows)).toEqual([...Array.from({ length: 18 }, (_, k) => `${k + 2}:a${k + 2}`), "20!", ...Array.from({ length: 15 }, (_, k) => `${k + 21}:a${k + 21}`)]);
  });

  it("keeps legitimate multi-line fields, and recovers from a quote never closed before the end of the file", async () => {
    const rows = await rowsOf(
      "eof.csv",
      lines((i) => (i === 10 ? `a${i},"two\nlines",1` : i === 20 ? `a${i},"never closed,3` : null)),
    );
    const byId = new Map(rows.filter((r): r is Extract<RawRow, { value: unknown }> => "value" in r).map((r) => [r.value.id, r]));
    expect(byId.get("a10")?.value.title).toBe("two\nlines");
    expect(rows.filter((r) => "error" in r).map((r) => r.line)).toEqual([21]);
    // Everything after the broken line is read: a21 … a35 (one line later, past the two-line field).
    expect([...byId.keys()].filter((id) => Number(String(id).slice(1)) > 20)).toHaveLength(15);
  });

  it("still rejects a one-line record with a wrong column count at its own line", async () => {
    const rows = await rowsOf(
      "columns.csv",
      lines((i) => (i === 5 ? `a${i},too,many,cells` : null)),
    );
    expect(rows.filter((r) => "error" in r).map((r) => r.line)).toEqual([5]);
    expect(rows).toHaveLength(34);
  });
});
