import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** Metrics of eth_getLogs requests cut into sub-ranges. */
export class GetLogsMetrics {
  readonly subRequests: Counter<'chain'>;
  readonly splits: Counter<'chain'>;
  readonly bisections: Counter<'chain'>;
  readonly refusals: Counter<'chain' | 'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.subRequests = new Counter({
      name: 'lasso_getlogs_subrequests_total',
      help: 'eth_getLogs requests Lasso sent for a part of a client request\'s range (each goes through normal routing)',
      labelNames: ['chain'],
      registers,
    });
    this.splits = new Counter({
      name: 'lasso_getlogs_splits_total',
      help: 'eth_getLogs ranges cut into sub-ranges by a provider\'s range limit (stated in its refusal, learned or configured)',
      labelNames: ['chain'],
      registers,
    });
    this.bisections = new Counter({
      name: 'lasso_getlogs_bisections_total',
      help: 'eth_getLogs ranges halved because a provider refused them without a usable limit (too many results, answer too large)',
      labelNames: ['chain'],
      registers,
    });
    this.refusals = new Counter({
      name: 'lasso_getlogs_refusals_total',
      help: 'eth_getLogs requests Lasso refused, by reason (max_response_bytes: the merged answer would exceed getLogs.maxResponseBytes)',
      labelNames: ['chain', 'reason'],
      registers,
    });
  }
}
