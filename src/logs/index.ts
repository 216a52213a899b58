export { chunksOf, fixedLogsRange, paramsForRange, spanOf } from './block-range.js';
export type { BlockRange } from './block-range.js';
export { GET_LOGS_DEFAULTS, getLogsOverRange } from './get-logs-engine.js';
export type { FinalLogsStore, GetLogsOptions, GetLogsOutcome, GetLogsStats, LogsSource, RangeAnswer } from './get-logs-engine.js';
export { isJsonArray, mergeLogs } from './merge-logs.js';
export { cutForFailure, cutForRefusal, widestAccepted } from './split-plan.js';
export type { Cut } from './split-plan.js';
