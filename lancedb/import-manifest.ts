// The import manifest belongs to the store: ingest writes it (running first, complete last) and every
// reader of the import tables (publish, training, eval) trusts the tables only when it says complete.
import type { SplitMode } from "../core/index.ts";
import { readDataFile } from "./data-files.ts";
import { StoreError } from "./errors.ts";

/** File name of the import manifest inside a data directory. */
export const IMPORT_MANIFEST = "import.json";

/** Counts of one input. */
export interface RowCounts {
  /** Rows read from the file. */
  read: number;
  /** Rows that landed in the store. */
  imported: number;
  /** Rows sent to rejects.jsonl. */
  rejected: number;
}

/** What an import did. */
export interface ImportSummary {
  /** Catalog counts, with image outcomes. */
  catalog: RowCounts & { textOnly: number; imagesOk: number; imagesFailed: number; imageCacheHits: number };
  /** Training clicks. */
  clicks: RowCounts;
  /** Held-out evaluation clicks (split off or from their own file). */
  clicksEval: RowCounts;
  /** Graded judgments. */
  judgments: RowCounts;
  /** How held-out clicks were chosen and how many of their pairs also occur in training. */
  split: SplitSummary;
  /** Wall time of the import. */
  seconds: number;
  /** Things the operator should know that did not stop the import (ignored columns, an empty held-out split). */
  warnings?: string[];
}

/** The train / held-out split an import made. */
export interface SplitSummary {
  /** "pair", "time" or "row" when split off the click log; "file" when held-out clicks came from their own file. */
  mode: SplitMode | "file";
  /** Share held out (null for "file"). */
  fraction: number | null;
  /** Distinct (query terms, item) pairs in the held-out clicks. */
  heldOutPairs: number;
  /** Of those, pairs that also occur in the training clicks (0 under the pair split). */
  heldOutPairsSeenInTraining: number;
}

/** The manifest written first as "running" and last as "complete": readers trust only the latter. */
export type ImportManifest =
  | { state: "running"; version: 1 }
  /** The import stopped with an error; the tables may be partial. */
  | { state: "failed"; version: 1; error: string; failedAt: string }
  | {
      state: "complete";
      version: 1;
      sources: Record<string, string | undefined>;
      evalFraction: number | null;
      /** Split mode (absent in imports made before splits had modes: those split by row). */
      split?: SplitMode | "file";
      seed: number;
      imageSize: number;
      grid: number;
      /** Absolute path of the image cache the import used (absent in imports made before it was recorded: `<data>/cache/images`). */
      imageCacheDir?: string;
      tables: Record<string, number>;
      summary: ImportSummary;
    };

/** Read a data directory's import manifest; fails unless an import completed there. */
export async function readImportManifest(dataDir: string): Promise<Extract<ImportManifest, { state: "complete" }>> {
  let m: ImportManifest;
  try {
    m = JSON.parse((await readDataFile(dataDir, IMPORT_MANIFEST)) ?? "") as ImportManifest;
  } catch (e) {
    if (e instanceof StoreError) throw e; // the object store could not be read: say so, not "no import"
    throw new StoreError("STORE_MISSING", `${dataDir} holds no imported data; run \`vitrine import --catalog FILE --clicks FILE --out ${dataDir}\` first`);
  }
  if (m.state === "failed") {
    throw new StoreError("IMPORT_INCOMPLETE", `the last import into ${dataDir} failed (${m.error}); fix that and run \`vitrine import\` again`);
  }
  if (m.state !== "complete") {
    throw new StoreError("IMPORT_INCOMPLETE", `the import into ${dataDir} did not finish (it crashed or is still running); run \`vitrine import\` again`);
  }
  return m;
}
