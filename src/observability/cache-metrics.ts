import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Prometheus metrics of the response cache, by chain and method (the bounded method label). */
export class CacheMetrics {
  /** Requests answered from the cache, by tier (memory | redis). */
  readonly hits: Counter<'chain' | 'method' | 'tier'>;
  /** Cacheable requests the cache could not answer (they went upstream). */
  readonly misses: Counter<'chain' | 'method'>;
  /** Bytes held in memory (answers and keys). */
  readonly bytes: Gauge<'chain' | 'method'>;
  readonly entries: Gauge<'chain' | 'method'>;
  /** Entries pushed out by the byte budget (least recently used first). */
  readonly evictions: Counter<'chain' | 'method'>;
  /** Unfinalized entries dropped because a reorg replaced their block. */
  readonly reorgInvalidations: Counter<'chain' | 'method'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.hits = new Counter({ name: 'lasso_cache_hits_total', help: 'Requests answered from the response cache, by tier (memory | redis)', labelNames: ['chain', 'method', 'tier'] as const, registers });
    this.misses = new Counter({ name: 'lasso_cache_misses_total', help: 'Cacheable requests not found in the response cache (sent upstream)', labelNames: ['chain', 'method'] as const, registers });
    this.bytes = new Gauge({ name: 'lasso_cache_bytes', help: 'Bytes held by the in-memory response cache (answers and keys)', labelNames: ['chain', 'method'] as const, registers });
    this.entries = new Gauge({ name: 'lasso_cache_entries', help: 'Entries in the in-memory response cache', labelNames: ['chain', 'method'] as const, registers });
    this.evictions = new Counter({ name: 'lasso_cache_evictions_total', help: 'Response cache entries evicted by the byte budget', labelNames: ['chain', 'method'] as const, registers });
    this.reorgInvalidations = new Counter({
      name: 'lasso_cache_reorg_invalidations_total',
      help: 'Unfinalized response cache entries dropped because a reorg replaced their block',
      labelNames: ['chain', 'method'] as const,
      registers,
    });
  }
}
