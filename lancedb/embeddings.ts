// The `embeddings` table: item vectors `vitrine embed` (gpu-jobs/embed) writes batch by batch and
// `vitrine publish --encoder onnx` reads. Its name, schema and progress file (DIR/embed.json) live
// with the store so publishing reads vectors without loading the training code that wrote them.
import { arrow } from "./arrow.ts";
import { openStore } from "./connect.ts";
import { readDataFile, writeDataFile } from "./data-files.ts";
import { StoreError } from "./errors.ts";

/** Name of the table embed writes. */
export const EMBEDDINGS_TABLE = "embeddings";

/** DIR/embed.json: which model the table holds vectors of and whether every item is in it. */
export interface EmbedState {
  modelDir: string;
  createdAt: string;
  state: "running" | "complete";
  items: number;
}

const STATE_FILE = "embed.json";

/** The embed progress file of a data directory, or null when there is none (or it is unreadable). */
export async function readEmbedState(dataDir: string): Promise<EmbedState | null> {
  try {
    const text = await readDataFile(dataDir, STATE_FILE);
    return text === null ? null : (JSON.parse(text) as EmbedState);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    return null;
  }
}

/** Replace the embed progress file whole, so a crash never leaves half of one. */
export async function writeEmbedState(dataDir: string, s: EmbedState): Promise<void> {
  await writeDataFile(dataDir, STATE_FILE, JSON.stringify(s));
}

/** Arrow schema of the table: id, vector (FixedSizeList<Float32>[dim]), text_only. */
export function embeddingsSchema(dim: number): InstanceType<typeof arrow.Schema> {
  // LanceDB's own apache-arrow copy: nested columns built with ours lose their children (arrow.ts).
  const { Field, FixedSizeList, Float32, Schema, Utf8, Bool } = arrow;
  return new Schema([new Field("id", new Utf8(), false), new Field("vector", new FixedSizeList(dim, new Field("item", new Float32(), true)), false), new Field("text_only", new Bool(), false)]);
}

/** Read the embeddings as an async iterable for publishRelease({ itemVectors }); fails unless a run completed. */
export async function* readEmbeddings(dataDir: string): AsyncGenerator<{ id: string; vector: Float32Array }> {
  const s = await readEmbedState(dataDir);
  if (!s || s.state !== "complete") throw new StoreError("EMBEDDINGS_INCOMPLETE", `the embeddings in ${dataDir} are missing or incomplete; run \`vitrine embed\` first`);
  const db = await openStore(dataDir);
  const t = await db.openTable(EMBEDDINGS_TABLE);
  for await (const b of t.query().select(["id", "vector"])) {
    const ids = b.getChild("id")!;
    const vecs = b.getChild("vector")!;
    for (let i = 0; i < b.numRows; i++) yield { id: ids.get(i) as string, vector: Float32Array.from(vecs.get(i) as Iterable<number>) };
  }
}
