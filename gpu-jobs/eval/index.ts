// Offline evaluation (issue #4, DESIGN §8): exact top-K, metrics, slices and the report.
export {
  DEFAULT_KS, recallAtK, hitRateAtK, ndcgAtK, ndcgAt10, relevanceRate, categoryConsistency, intentCategoryOf,
  metricSet, applySlice, evaluateRankings,
  type EvalQuery, type Slice, type EvaluateInput, type MetricSet, type MetricsTable,
} from "../../core/metrics.ts";
export { exactTopKBatch, type TopKBatch, type TopKBatchOptions } from "../../core/top-k.ts";
export { buildEvalQueries, type BuildEvalQueriesOptions, type JudgmentInput } from "./eval-queries.ts";
export {
  TITLE_OMITS_SLICE, readDatasetTruth, titleOmitsQueriedAttribute, titleOmitsSlice, loadTitleOmitsSlice,
  type QueriedAttribute, type DatasetTruth, type TitleOmitsSliceOptions,
} from "./slices.ts";
export {
  writeReport, renderMarkdown, renderHtml, formatTable, markdownTable,
  type EvalReport, type ReportGroup, type ExampleQuery, type ExampleItem, type WrittenReport, type VariantResult,
} from "./report.ts";
export { recallChartSvg, type ChartSeries, type ChartOptions } from "./report-chart.ts";
