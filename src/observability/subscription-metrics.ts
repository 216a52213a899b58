import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * Prometheus metrics of the subscription engine (upstream side): what the continuity promise
 * rests on. `lasso_subscription_gaps_unfilled_total` should stay 0.
 */
export class SubscriptionMetrics {
  /** Client subscriptions attached to the engine, by kind. */
  readonly clientSubscriptions: Gauge<'chain' | 'kind'>;
  /** Live upstream subscriptions (one per canonical key at most), by kind. */
  readonly upstreamSubscriptions: Gauge<'chain' | 'kind'>;
  /** eth_subscribe calls sent upstream, by result (ok | error | timeout | closed). */
  readonly upstreamSubscribes: Counter<'chain' | 'provider' | 'kind' | 'result'>;
  /** Times the head stream moved to another provider (or to polling). */
  readonly failovers: Counter<'chain' | 'from_provider' | 'reason'>;
  /** Blocks whose heads or logs were fetched over HTTP instead of arriving live. */
  readonly backfilledBlocks: Counter<'chain' | 'kind'>;
  /** Notifications dropped because the client had them already (same hash, or same blockHash + logIndex). */
  readonly duplicatesDropped: Counter<'chain' | 'kind'>;
  /** Gaps the engine could not fill (subscriptions ended with an error). Should be 0. */
  readonly gapsUnfilled: Counter<'chain' | 'kind'>;
  /** Reorgs detected on delivered heads. */
  readonly reorgs: Counter<'chain'>;
  /** Depth of the last handled reorg (orphaned blocks). */
  readonly lastReorgDepth: Gauge<'chain'>;
  /** 1 while the chain's heads come from HTTP polling (no usable WebSocket provider). */
  readonly polling: Gauge<'chain'>;
  /** Upstream WebSocket connection state per provider: 0 idle/closed, 1 connecting/backoff, 2 open. */
  readonly upstreamWsState: Gauge<'chain' | 'provider'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.clientSubscriptions = new Gauge({
      name: 'lasso_subscription_clients',
      help: 'Client subscriptions attached to the subscription engine, by kind',
      labelNames: ['chain', 'kind'] as const,
      registers,
    });
    this.upstreamSubscriptions = new Gauge({
      name: 'lasso_subscription_upstream_active',
      help: 'Live upstream subscriptions (shared by every client subscription with the same key), by kind',
      labelNames: ['chain', 'kind'] as const,
      registers,
    });
    this.upstreamSubscribes = new Counter({
      name: 'lasso_subscription_upstream_subscribes_total',
      help: 'eth_subscribe calls sent to upstream providers, by result (ok | error | timeout | closed)',
      labelNames: ['chain', 'provider', 'kind', 'result'] as const,
      registers,
    });
    this.failovers = new Counter({
      name: 'lasso_subscription_failovers_total',
      help: 'Times the subscription stream of a chain left its upstream provider, by reason (lost | stall)',
      labelNames: ['chain', 'from_provider', 'reason'] as const,
      registers,
    });
    this.backfilledBlocks = new Counter({
      name: 'lasso_subscription_backfilled_blocks_total',
      help: 'Blocks whose heads (newHeads) or logs (logs) were fetched over HTTP to fill a gap',
      labelNames: ['chain', 'kind'] as const,
      registers,
    });
    this.duplicatesDropped = new Counter({
      name: 'lasso_subscription_duplicates_dropped_total',
      help: 'Notifications dropped because clients already had them',
      labelNames: ['chain', 'kind'] as const,
      registers,
    });
    this.gapsUnfilled = new Counter({
      name: 'lasso_subscription_gaps_unfilled_total',
      help: 'Gaps that could not be filled (client subscriptions ended with an error); should be 0',
      labelNames: ['chain', 'kind'] as const,
      registers,
    });
    this.reorgs = new Counter({
      name: 'lasso_subscription_reorgs_total',
      help: 'Chain reorganisations handled by the subscription engine',
      labelNames: ['chain'] as const,
      registers,
    });
    this.lastReorgDepth = new Gauge({
      name: 'lasso_subscription_last_reorg_depth',
      help: 'Blocks orphaned by the last reorg the subscription engine handled',
      labelNames: ['chain'] as const,
      registers,
    });
    this.polling = new Gauge({
      name: 'lasso_subscription_polling',
      help: '1 while heads come from HTTP polling because no WebSocket provider is usable',
      labelNames: ['chain'] as const,
      registers,
    });
    this.upstreamWsState = new Gauge({
      name: 'lasso_upstream_ws_state',
      help: 'Upstream WebSocket connection per provider: 0 idle or closed, 1 connecting or backing off, 2 open',
      labelNames: ['chain', 'provider'] as const,
      registers,
    });
  }
}
