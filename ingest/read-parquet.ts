import { tableFromIPC } from "apache-arrow";
import { readParquet } from "parquet-wasm";
import { ImportError } from "./errors.ts";
import type { RawRow } from "./read-rows.ts";

// Parquet goes through parquet-wasm (Parquet → Arrow IPC) and apache-arrow: no hand-written parser.
/** Read every row of a Parquet file; "line" is the 1-based row number. */
export function* readParquetRows(bytes: Uint8Array, file: string): Generator<RawRow> {
  let table;
  try {
    table = tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (e) {
    throw new ImportError("SOURCE_UNREADABLE", `${file}: not a readable Parquet file (${(e as Error).message})`);
  }
  let line = 0;
  for (const row of table) {
    line++;
    yield { line, value: plain(row?.toJSON() ?? {}) as Record<string, unknown> };
  }
}

// Arrow hands back BigInt for int64, Map/Struct rows and typed arrays; validation wants plain JSON values.
function plain(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (typeof v === "object") {
    const o = v as { toJSON?: () => unknown };
    if (typeof o.toJSON === "function" && o.constructor !== Object) return plain(o.toJSON());
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = plain(x);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return v;
}
