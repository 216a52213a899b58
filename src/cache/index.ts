export { attachCache, cacheOf, detachCache } from './registry.js';
export { ChainCache } from './chain-cache.js';
export type { CacheableAnswer, CacheChain, CacheRequest, ChainCacheDeps } from './chain-cache.js';
export type { CachedBody } from './entry.js';
export { DEFAULT_CACHE_ENABLED, DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_UNFINALIZED_TTL_MS } from './options.js';
export type { CacheOptions, MethodCacheOptions } from './options.js';
export { finalityOf, isCacheableRequest } from './policy.js';
export type { AnswerFacts, CacheTarget, Finality, FinalityView, PolicyInput } from './policy.js';
