// IDX reader (the MNIST file format): big-endian header, magic 0x0000 <type> <ndims>, then dims, then data.
import { gunzipSync } from "node:zlib";
import { DatasetError } from "./errors.ts";

/** An unsigned-byte IDX array. */
export interface IdxArray {
  /** Dimension sizes, outermost first. */
  dims: number[];
  /** Row-major data. */
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses an unsigned-byte IDX buffer with the expected number of dimensions; `file` names it in errors. */
export function parseIdx(buf: Uint8Array, ndims: number, file: string): IdxArray {
  const bad = (why: string): DatasetError => new DatasetError("FASHION_MNIST_CORRUPT", `${file}: ${why}; reinstall it with \`apt-get install --reinstall dataset-fashion-mnist\``);
  if (buf.length < 4) throw bad("file too short for an IDX header");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint16(0) !== 0) throw bad("bad IDX magic number");
  const type = buf[2];
  const n = buf[3];
  if (type !== UBYTE) throw bad(`IDX data type 0x${(type ?? 0).toString(16)} is not unsigned byte (0x08)`);
  if (n !== ndims) throw bad(`IDX has ${n} dimensions, expected ${ndims}`);
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw bad("truncated IDX header");
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i);
    dims.push(d);
    size *= d;
  }
  if (buf.length !== header + size) throw bad(`IDX holds ${buf.length - header} data bytes, header says ${size}`);
  return { dims, data: buf.subarray(header) };
}

/** Reads and parses a gzipped IDX file. */
export function readIdxGz(bytes: Uint8Array, ndims: number, file: string): IdxArray {
  let raw: Buffer;
  try {
    raw = gunzipSync(bytes);
  } catch (err) {
    throw new DatasetError("FASHION_MNIST_CORRUPT", `${file}: not a valid gzip file (${(err as Error).message}); reinstall it with \`apt-get install --reinstall dataset-fashion-mnist\``);
  }
  return parseIdx(raw, ndims, file);
}
