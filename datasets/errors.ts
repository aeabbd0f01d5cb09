import { CodedError, type ErrorKind } from "../core/index.ts";

/** Error codes the datasets layer raises. */
export type DatasetErrorCode = "FASHION_MNIST_MISSING" | "FASHION_MNIST_CORRUPT" | "BAD_OPTION" | "OUT_NOT_EMPTY" | "UNKNOWN_DATASET";

const KINDS: Record<DatasetErrorCode, ErrorKind> = {
  FASHION_MNIST_MISSING: "missing",
  FASHION_MNIST_CORRUPT: "input",
  BAD_OPTION: "usage",
  OUT_NOT_EMPTY: "conflict",
  UNKNOWN_DATASET: "usage",
};

/** The one typed error of the datasets layer: a code and a message that says the fix. */
export class DatasetError extends CodedError<DatasetErrorCode> {
  override readonly name = "DatasetError";
  get kind(): ErrorKind {
    return KINDS[this.code];
  }
}
