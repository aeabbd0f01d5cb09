import { createWriteStream, type WriteStream } from "node:fs";
import { rename } from "node:fs/promises";

/** Which input a rejected row came from. */
export type RejectKind = "catalog" | "clicks" | "clicks_eval" | "judgments";

/** One rejected row: where it was and why, so a person can fix the source. */
export interface Reject {
  /** Which input. */
  kind: RejectKind;
  /** Source file path as given. */
  file: string;
  /** 1-based line (JSONL/CSV) or row (Parquet). */
  line: number;
  /** What is wrong and how to fix it. */
  reason: string;
  /** The field to blame, when one is. */
  field?: string;
  /** The row's id (items) or item_id (clicks), when readable. */
  id?: string;
}

/** Streams rejects to `<path>.tmp` and renames into place on close, so a crash never leaves a half file. */
export class RejectsWriter {
  private readonly out: WriteStream;
  readonly counts: Record<RejectKind, number> = { catalog: 0, clicks: 0, clicks_eval: 0, judgments: 0 };
  constructor(private readonly path: string) {
    this.out = createWriteStream(`${path}.tmp`, { encoding: "utf8" });
  }

  /** Record one rejected row. */
  add(r: Reject): void {
    this.counts[r.kind]++;
    this.out.write(`${JSON.stringify(r)}\n`);
  }

  /** Finish the file and move it into place. */
  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await rename(`${this.path}.tmp`, this.path);
  }
}
