// Ingest: `vitrine import` as a library — read a catalog, click log and judgments (JSONL, CSV or
// Parquet), validate each row, write the import tables and the manifest into a data directory.
// Node only; importing it loads the store (LanceDB) and the image pipeline (sharp).
//
// Exports:
//   importData, ImportOptions, ImportProgress    one import into a data directory
//   formatSummary                                 the summary `vitrine import` prints
//   ImportError, ImportErrorCode                  ingest's errors
//   readRows, RawRow                              reading rows as import reads them (eval reads its
//                                                   --clicks and --judgments files this way)
//   checkClick, checkJudgment, Checked            validating a click or judgment as import does
//   COLUMN_PRESETS, ColumnMap                     shop exports' columns mapped to catalog fields
//   patchify                                      a thumbnail cut into the model's patch grid (images/)
//   createImageLoader, decodeThumbnail,           catalog images read again and decoded as import did (an
//     ImageLoader, ImageResult                      image backbone's input at its own size: gpu-jobs/backbone)
export { importData, type ImportOptions, type ImportProgress } from "./import-data.ts";
export { formatSummary } from "./summary.ts";
export { ImportError, type ImportErrorCode } from "./errors.ts";
export { readRows, type RawRow } from "./read-rows.ts";
export { checkClick, checkJudgment, type Checked } from "./validate.ts";
export { COLUMN_PRESETS, type ColumnMap } from "./column-map.ts";
export { patchify, createImageLoader, decodeThumbnail, type ImageLoader, type ImageLoaderOptions, type ImageResult } from "./images/index.ts";
