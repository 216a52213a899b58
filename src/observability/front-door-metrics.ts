import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** Why the front door turned a request away (label values of lasso_front_door_rejections_total). */
export type FrontDoorRejection = 'no_key' | 'bad_key' | 'chain_denied' | 'method_denied' | 'rate_limited' | 'limiter_unavailable' | 'admin_key';

/**
 * Metrics of the front door. Clients are labelled by key id (`anonymous` without a key, `unknown`
 * for a wrong key): never by the key itself, and never by IP (unbounded).
 */
export class FrontDoorMetrics {
  readonly rejections: Counter<'reason' | 'key' | 'transport'>;
  /** 1 while the shared Redis answers, 0 while limits run locally. */
  readonly redisUp: Gauge;
  readonly reloads: Counter<'result'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rejections = new Counter({
      name: 'lasso_front_door_rejections_total',
      help: 'Requests (batch items count one each) refused by the front door, by reason and key id',
      labelNames: ['reason', 'key', 'transport'],
      registers,
    });
    this.redisUp = new Gauge({ name: 'lasso_shared_state_redis_up', help: 'Shared Redis reachable (1) or limits running locally (0)', registers });
    this.reloads = new Counter({ name: 'lasso_config_reloads_total', help: 'Config reloads by result (applied | refused)', labelNames: ['result'], registers });
  }
}
