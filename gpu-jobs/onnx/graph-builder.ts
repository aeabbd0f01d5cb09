// A small ONNX graph builder over onnx-proto: float32/int initializers, typed nodes, named inputs
// and outputs whose axes may be symbolic ("batch"), serialised to ModelProto bytes.
// Opset 17: ReduceMean still takes `axes` as an attribute there (18 moved it to an input), and
// onnxruntime-node 1.30 runs every op used here on the CPU EP.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The opset every exported graph declares. */
export const OPSET = 17;

/** ONNX IR version written into the model (ONNX 1.10 = IR 8, readable by every current runtime). */
export const IR_VERSION = 8;

/** Element types the builder knows. */
export type ElemType = "float32" | "int32" | "int64";

const DTYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** An attribute value: numbers are ints unless listed in a node's `floats`, arrays are ints lists. */
export type AttrValue = number | number[] | string | { float: number };

/** A graph input or output: a name, an element type and dims (number = fixed, string = symbolic). */
export interface ValueSpec {
  /** Tensor name in the graph. */
  name: string;
  /** Element type. */
  type: ElemType;
  /** Dimensions; a string is a symbolic (dynamic) axis such as "batch". */
  dims: (number | string)[];
}

/** Builds one graph; every helper returns the name of the tensor it produced. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private readonly initNames = new Set<string>();
  private counter = 0;

  constructor(private readonly graphName: string) {}

  /** Declare a graph input. */
  input(spec: ValueSpec): string {
    this.inputs.push(spec);
    return spec.name;
  }

  /** Declare tensor `name` as a graph output. */
  output(name: string, spec: Omit<ValueSpec, "name">, as = name): void {
    const out = as === name ? name : this.op("Identity", [name], {}, as);
    this.outputs.push({ name: out, ...spec });
  }

  /** A float32 initializer (values are copied, little-endian raw data). */
  init(name: string, values: Float32Array | number[], dims: number[]): string {
    const f = values instanceof Float32Array ? values : Float32Array.from(values);
    const size = dims.reduce((a, b) => a * b, 1);
    if (f.length !== size) throw new RangeError(`initializer ${name}: ${f.length} values for dims [${dims.join(",")}]`);
    return this.addInit(name, "float32", new Uint8Array(f.slice().buffer), dims);
  }

  /** An int64 initializer (shapes, axes, indices). */
  initInt64(name: string, values: number[], dims: number[] = [values.length]): string {
    const b = new BigInt64Array(values.map((v) => BigInt(v)));
    return this.addInit(name, "int64", new Uint8Array(b.buffer), dims);
  }

  /** An int32 or int64 scalar constant (auto-named, shared by value), e.g. the pad id. */
  intScalar(value: number, type: "int32" | "int64"): string {
    const name = `const.${type}.${value}`;
    if (this.initNames.has(name)) return name;
    const raw = type === "int32" ? new Uint8Array(Int32Array.of(value).buffer) : new Uint8Array(BigInt64Array.of(BigInt(value)).buffer);
    return this.addInit(name, type, raw, []);
  }

  /** A float32 scalar constant (auto-named, shared by value). */
  scalar(value: number): string {
    const name = `const.f.${value}`;
    return this.initNames.has(name) ? name : this.init(name, [value], []);
  }

  /** A 1-D int64 constant (auto-named, shared by value). */
  ints(values: number[]): string {
    const name = `const.i.${values.join("_")}`;
    return this.initNames.has(name) ? name : this.initInt64(name, values);
  }

  /** Add node `opType`; returns its (first) output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const name = out ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: [name],
        name: `n${this.nodes.length}_${opType}`,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return name;
  }

  /** The serialised ModelProto. */
  toBytes(docString = ""): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: "vitrine",
      producerVersion: "0.1.0",
      docString,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: OPSET })],
      graph: onnx.GraphProto.create({
        name: this.graphName,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private addInit(name: string, type: ElemType, raw: Uint8Array, dims: number[]): string {
    if (this.initNames.has(name)) throw new RangeError(`duplicate initializer ${name}`);
    this.initNames.add(name);
    this.inits.push(onnx.TensorProto.create({ name, dataType: DTYPE[type], dims, rawData: raw }));
    return name;
  }
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === "string") return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === "object") return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.INT, i: v };
}

function valueInfo(spec: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: spec.name,
    type: {
      tensorType: {
        elemType: DTYPE[spec.type],
        shape: { dim: spec.dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Decode model bytes (tests and tooling that edit an exported graph). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** Encode a (possibly edited) decoded model back to bytes. */
export function encodeModel(model: onnxProto.onnx.ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
