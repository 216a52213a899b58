/**
 * Options of a chain's response cache. The defaults are exported once from here; the config schema
 * reuses them.
 */

/** Per-method settings: `cache.methods.<name>`. */
export interface MethodCacheOptions {
  /** false: this method is never cached. @default true */
  enabled?: boolean;
  /**
   * Longest time any answer of this method is kept, final ones included, in ms.
   * @default final answers until evicted, unfinalized ones `unfinalizedTtlMs`
   */
  ttlMs?: number;
  /**
   * The method's answers get a budget of their own of this many bytes (so that one method cannot
   * crowd the others out of the chain's budget). @default shares the chain's `maxBytes`
   */
  maxBytes?: number;
}

export interface CacheOptions {
  /** @default true */
  enabled: boolean;
  /** Bytes of answers (and keys) kept in memory for the chain; least recently used go first. @default 67108864 */
  maxBytes: number;
  /** How long an answer about a block that is not final yet is kept, in ms. @default 2000 */
  unfinalizedTtlMs: number;
  /** Settings by exact method name. @default {} */
  methods: Record<string, MethodCacheOptions>;
}

export const DEFAULT_CACHE_ENABLED = true;
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CACHE_UNFINALIZED_TTL_MS = 2_000;
