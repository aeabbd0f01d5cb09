// The slice issue #4's quality bar is about: (query, item) pairs where the item's title omits an
// attribute the query asks for (demo: colour/pattern; fashion-mnist: type), so only the image can
// tell. Built from the truth files a built-in dataset writes; other catalogs have none (→ null).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { canonicalTerms, type Slice } from "../../core/index.ts";
import type { Intent, QueryRow, TruthRow } from "../../datasets/index.ts";

/** Attributes a title may omit. */
export type QueriedAttribute = "type" | "colour" | "pattern";

/** The default slice name, as the report shows it. */
export const TITLE_OMITS_SLICE = "title omits queried attribute";
/** Its complement among pairs whose query asks an omittable attribute: the title names every one asked. */
export const TITLE_NAMES_SLICE = "title names queried attribute";

/** Ground truth of a generated dataset. */
export interface DatasetTruth {
  /** truth.jsonl by item id. */
  truthById: Map<string, TruthRow>;
  /** queries.jsonl intents by canonical terms (the key the import and the click tables use). */
  intentByTerms: Map<string, Intent>;
}

/** Options of titleOmitsSlice. */
export interface TitleOmitsSliceOptions {
  /** The dataset's truth. */
  truth: DatasetTruth;
  /** Eval queries as canonical terms, index = query index of the EvalQuery list. */
  queries: readonly string[];
  /** Item id of every row. */
  itemIds: readonly string[];
  /** Attributes considered (default all three: demo titles always name the type, fashion-mnist intents never ask colour). */
  attributes?: readonly QueriedAttribute[];
  /** Slice name (default TITLE_OMITS_SLICE). */
  name?: string;
}

const MENTIONS = { type: "title_mentions_type", colour: "title_mentions_colour", pattern: "title_mentions_pattern" } as const;
const ALL: readonly QueriedAttribute[] = ["type", "colour", "pattern"];

/** Parse a JSONL file (blank lines skipped). */
async function readJsonl<T>(path: string): Promise<T[]> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

/** Read truth.jsonl and queries.jsonl from a dataset folder; null when either is missing (not a generated dataset). */
export async function readDatasetTruth(datasetDir: string): Promise<DatasetTruth | null> {
  const truthPath = join(datasetDir, "truth.jsonl");
  const queriesPath = join(datasetDir, "queries.jsonl");
  if (!existsSync(truthPath) || !existsSync(queriesPath)) return null;
  const truthById = new Map((await readJsonl<TruthRow>(truthPath)).map((t) => [t.id, t]));
  const intentByTerms = new Map<string, Intent>();
  // Word-order variants share terms and intent; the first row wins if a generator ever disagreed.
  for (const q of await readJsonl<QueryRow>(queriesPath)) {
    const terms = canonicalTerms(q.query);
    if (!intentByTerms.has(terms)) intentByTerms.set(terms, q.intent);
  }
  return { truthById, intentByTerms };
}

/** Whether the item's title omits at least one attribute the intent asks for. */
export function titleOmitsQueriedAttribute(intent: Intent, truth: TruthRow, attributes: readonly QueriedAttribute[] = ALL): boolean {
  return attributes.some((a) => intent[a] !== undefined && !truth[MENTIONS[a]]);
}

/** Whether the intent asks at least one of the attributes and the item's title names every one it asks. */
export function titleNamesQueriedAttributes(intent: Intent, truth: TruthRow, attributes: readonly QueriedAttribute[] = ALL): boolean {
  const asked = attributes.filter((a) => intent[a] !== undefined);
  return asked.length > 0 && asked.every((a) => truth[MENTIONS[a]]);
}

/** The (query, item) slice of pairs whose item title omits a queried attribute; unknown queries or items are outside it. */
export function titleOmitsSlice(opts: TitleOmitsSliceOptions): Slice {
  return truthSlice(opts, opts.name ?? TITLE_OMITS_SLICE, titleOmitsQueriedAttribute);
}

/**
 * Its complement among pairs that ask an omittable attribute: the title names all asked (issue
 * #17's goal compares Recall@100 of the two: what the image must carry against what the title does).
 */
export function titleNamesSlice(opts: TitleOmitsSliceOptions): Slice {
  return truthSlice(opts, TITLE_NAMES_SLICE, titleNamesQueriedAttributes);
}

function truthSlice(opts: TitleOmitsSliceOptions, name: string, test: (intent: Intent, truth: TruthRow, attrs: readonly QueriedAttribute[]) => boolean): Slice {
  const attrs = opts.attributes ?? ALL;
  const intents = opts.queries.map((q) => opts.truth.intentByTerms.get(q));
  const truths = opts.itemIds.map((id) => opts.truth.truthById.get(id));
  return {
    name,
    item: (q, row) => {
      const intent = intents[q];
      const truth = truths[row];
      return intent !== undefined && truth !== undefined && test(intent, truth, attrs);
    },
  };
}

/** Read the dataset folder and build the title-omits and title-names slices; none when it holds no truth files. */
export async function loadTitleSlices(datasetDir: string, opts: Omit<TitleOmitsSliceOptions, "truth">): Promise<Slice[]> {
  const truth = await readDatasetTruth(datasetDir);
  return truth ? [titleOmitsSlice({ ...opts, truth }), titleNamesSlice({ ...opts, truth })] : [];
}
