// ONNX export of the query and item encoders (DESIGN.md §5).
export { exportModel, exportGraphs, type ExportOptions, type ExportResult, type ModelCard } from "./export.ts";
export { buildQueryGraph, type GraphExportOptions } from "./export-query.ts";
export { buildItemGraph } from "./export-item.ts";
export { checkParity, type ParityOptions, type ParityResult, type GraphParity } from "./parity.ts";
export { ExportError, type ExportErrorCode } from "./errors.ts";
export { GraphBuilder, OPSET, IR_VERSION, decodeModel, encodeModel } from "./graph-builder.ts";
export { modelWeights } from "./weights.ts";
