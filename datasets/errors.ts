/** Error codes the datasets layer raises. */
export type DatasetErrorCode =
  | "FASHION_MNIST_MISSING"
  | "FASHION_MNIST_CORRUPT"
  | "INVALID_OPTION"
  | "OUT_NOT_EMPTY"
  | "UNKNOWN_DATASET";

/** The one typed error of the datasets layer: a code and a message that says the fix. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
  constructor(
    readonly code: DatasetErrorCode,
    message: string,
  ) {
    super(message);
  }
}
