export { SubscriptionEngine } from './engine.js';
export type { EngineDebugStats, SubscriptionEngineDeps } from './engine.js';
export { PipelineReader } from './chain-reader.js';
export type { ChainReader, PipelineReaderOptions } from './chain-reader.js';
export { SUBSCRIPTION_KINDS, logMatches, logsKey, normalizeLogFilter, parseSubscriptionRequest, upstreamFilter } from './filter.js';
export type { NormalizedLogFilter, SubscriptionRequest } from './filter.js';
export { ReadError, StreamStoppedError, UnfillableGapError } from './errors.js';
export type { ClientSubscriptionHandle, SubscriptionKind, SubscriptionService, SubscriptionSink } from './types.js';
