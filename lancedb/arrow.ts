// Column builders for release tables.
//
// LanceDB loads apache-arrow with require() (the CJS build) while our ESM `import` gets the ESM
// build: two copies of every class, so `instanceof` fails inside LanceDB and its sanitiser drops
// the children of nested columns (structs, vectors). Building with LanceDB's own copy avoids both.
import { createRequire } from "node:module";
import type * as ArrowNs from "apache-arrow";

/** The apache-arrow module instance LanceDB itself uses. */
export const arrow: typeof ArrowNs = createRequire(import.meta.url)("apache-arrow");

type AnyData = ArrowNs.Data;

/** A nullable Utf8 column. */
export function utf8Column(values: readonly (string | null)[]): AnyData {
  return arrow.vectorFromArray(values as (string | null)[], new arrow.Utf8()).data[0]!;
}

/** A Float64 column (null allowed). */
export function float64Column(values: readonly (number | null)[]): AnyData {
  return arrow.vectorFromArray(values as (number | null)[], new arrow.Float64()).data[0]!;
}

/** A Uint32 column. */
export function uint32Column(values: Uint32Array): AnyData {
  return arrow.makeData({ type: new arrow.Uint32(), length: values.length, nullCount: 0, data: values });
}

/** A Float32 column (no nulls, no copy). */
export function float32Column(values: Float32Array): AnyData {
  return arrow.makeData({ type: new arrow.Float32(), length: values.length, nullCount: 0, data: values });
}

/** A Bool column. */
export function boolColumn(values: readonly boolean[]): AnyData {
  return arrow.vectorFromArray(values as boolean[], new arrow.Bool()).data[0]!;
}

/** Type of a `dim`-wide Float32 vector column. */
export function vectorType(dim: number): ArrowNs.FixedSizeList<ArrowNs.Float32> {
  return new arrow.FixedSizeList(dim, new arrow.Field("item", new arrow.Float32(), true));
}

/** A FixedSizeList<Float32>[dim] column over one flat row-major buffer (no copy). */
export function vectorColumn(flat: Float32Array, dim: number): AnyData {
  const length = flat.length / dim;
  const child = arrow.makeData({ type: new arrow.Float32(), length: flat.length, nullCount: 0, data: flat });
  return arrow.makeData({ type: vectorType(dim), length, nullCount: 0, child });
}

/** A List<T> column from per-row arrays, given the child column built over all values in order. */
function listColumn(child: AnyData, lengths: readonly number[], itemType: ArrowNs.DataType): AnyData {
  const offsets = new Int32Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
  const type = new arrow.List(new arrow.Field("item", itemType, true));
  return arrow.makeData({ type, length: lengths.length, nullCount: 0, valueOffsets: offsets, child });
}

/** A List<Uint32> column over one flat buffer of every row's values in order (no copy). */
export function uint32ListColumn(flat: Uint32Array, lengths: readonly number[]): AnyData {
  return listColumn(uint32Column(flat), lengths, new arrow.Uint32());
}

/** A List<Utf8> column. */
export function utf8ListColumn(rows: readonly (readonly string[])[]): AnyData {
  return listColumn(
    utf8Column(rows.flat()),
    rows.map((r) => r.length),
    new arrow.Utf8(),
  );
}

/** A List<Float32> column. */
export function float32ListColumn(rows: readonly Float32Array[]): AnyData {
  const total = rows.reduce((n, r) => n + r.length, 0);
  const flat = new Float32Array(total);
  let o = 0;
  for (const r of rows) {
    flat.set(r, o);
    o += r.length;
  }
  const child = arrow.makeData({ type: new arrow.Float32(), length: total, nullCount: 0, data: flat });
  return listColumn(
    child,
    rows.map((r) => r.length),
    new arrow.Float32(),
  );
}

/** A Struct column of nullable Utf8 children, one per key (a row's missing key is null). */
export function utf8StructColumn(keys: readonly string[], rows: readonly (Record<string, string> | null)[]): AnyData {
  const type = new arrow.Struct(keys.map((k) => new arrow.Field(k, new arrow.Utf8(), true)));
  const children = keys.map((k) => utf8Column(rows.map((r) => r?.[k] ?? null)));
  return arrow.makeData({ type, length: rows.length, nullCount: 0, children });
}

/** An Arrow table of one record batch from named columns, in schema order. */
export function tableOf(schema: ArrowNs.Schema, columns: Record<string, AnyData>): ArrowNs.Table {
  const length = columns[schema.fields[0]!.name]!.length;
  const children = schema.fields.map((f) => {
    const c = columns[f.name];
    if (!c) throw new Error(`column ${f.name} missing`);
    return c;
  });
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, data)]);
}
