import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * Prometheus metrics of the filters Lasso emulates (eth_newFilter and friends). `kind` is
 * blocks | logs | pending. With shared state, each replica counts what it did itself (an expiry
 * by the one replica whose sweep found it): the installed gauges sum to the filters installed.
 */
export class FilterMetrics {
  readonly installed: Gauge<'chain' | 'kind'>;
  readonly created: Counter<'chain' | 'kind'>;
  readonly uninstalled: Counter<'chain' | 'kind'>;
  /** Filters dropped after going unpolled for filters.idleTimeoutMs. */
  readonly expired: Counter<'chain' | 'kind'>;
  /** Items returned by eth_getFilterChanges (block hashes, logs including `removed: true` ones). */
  readonly changesServed: Counter<'chain' | 'kind'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.installed = new Gauge({ name: 'lasso_filters_installed', help: 'Filters installed (emulated by Lasso), by kind', labelNames: ['chain', 'kind'] as const, registers });
    this.created = new Counter({ name: 'lasso_filters_created_total', help: 'Filters created, by kind', labelNames: ['chain', 'kind'] as const, registers });
    this.uninstalled = new Counter({ name: 'lasso_filters_uninstalled_total', help: 'Filters removed by eth_uninstallFilter, by kind', labelNames: ['chain', 'kind'] as const, registers });
    this.expired = new Counter({ name: 'lasso_filters_expired_total', help: 'Filters dropped after going unpolled for filters.idleTimeoutMs, by kind', labelNames: ['chain', 'kind'] as const, registers });
    this.changesServed = new Counter({
      name: 'lasso_filter_changes_served_total',
      help: 'Items returned by eth_getFilterChanges (block hashes, logs), by kind',
      labelNames: ['chain', 'kind'] as const,
      registers,
    });
  }
}
