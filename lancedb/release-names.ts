// Release ids and table names. LanceDB OSS cannot rename tables, so every table is built under
// its final name; only the `releases` row and the pointer make a release visible.

/** Per-release table names of release `id`. */
export function releaseTables(id: string): { items: string; qids: string; lexicon: string } {
  return { items: `items_${id}`, qids: `qids_${id}`, lexicon: `lexicon_${id}` };
}

/** The release's optional IVF index table (ivf-table.ts; absent in older and small releases). */
export function ivfTable(id: string): string {
  return `ivf_${id}`;
}

const ID = /^r(\d{3,})$/;
const TABLE = /^(items|qids|lexicon|ivf)_(r\d{3,})$/;

/** Number of a release id ("r012" → 12), or null when it is not one. */
export function releaseNumber(id: string): number | null {
  const m = ID.exec(id);
  return m ? Number(m[1]) : null;
}

/** Release id of a number (12 → "r012"). */
export function releaseId(n: number): string {
  return `r${String(n).padStart(3, "0")}`;
}

/** The release a per-release table belongs to ("qids_r004" → "r004"), or null for other tables. */
export function releaseOfTable(name: string): string | null {
  return TABLE.exec(name)?.[2] ?? null;
}

/** Next release id: one past every release and leftover table, so a crashed publish's id is never reused. */
export function nextReleaseId(tableNames: readonly string[], releaseIds: readonly string[]): string {
  let max = 0;
  for (const id of [...releaseIds, ...tableNames.map(releaseOfTable)]) {
    const n = id ? releaseNumber(id) : null;
    if (n !== null && n > max) max = n;
  }
  return releaseId(max + 1);
}
