import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics.js';
import { CacheMetrics } from './cache-metrics.js';
import { GetLogsMetrics } from './get-logs-metrics.js';

/** Latency buckets in seconds: fine below 100 ms where a proxy lives, coarse up to the 30 s deadline. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Every Prometheus metric Lasso exports, in one registry per Lasso instance (so several instances
 * in one process, as in tests, never share counters).
 */
export class LassoMetrics {
  readonly registry = new Registry();

  /** Client requests (batch items count one each) by final outcome. */
  readonly requests = new BoundCounter({
    name: 'lasso_requests_total',
    help: 'Client JSON-RPC requests by chain, method, transport and outcome (success | rpc_error | failed | invalid)',
    labelNames: ['chain', 'method', 'transport', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new BoundHistogram({
    name: 'lasso_request_duration_seconds',
    help: 'End-to-end latency of client requests as seen by Lasso',
    labelNames: ['chain', 'method', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly attempts = new BoundCounter({
    name: 'lasso_upstream_attempts_total',
    help: 'Upstream attempts by provider and result class (success | deterministic | rate_limit | capability | provider_failure | cancelled)',
    labelNames: ['chain', 'provider', 'transport', 'method', 'result'] as const,
    registers: [this.registry],
  });

  readonly upstreamDuration = new BoundHistogram({
    name: 'lasso_upstream_duration_seconds',
    help: 'Latency of upstream attempts',
    labelNames: ['chain', 'provider', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly failovers = new Counter({
    name: 'lasso_failovers_total',
    help: 'Times a request moved on from a failed attempt to another provider',
    labelNames: ['chain', 'method', 'from_provider', 'reason'] as const,
    registers: [this.registry],
  });

  readonly hedges = new Counter({
    name: 'lasso_hedges_total',
    help: 'Hedge attempts sent (a replay-safe read not answered within its hedge delay went to another provider too)',
    labelNames: ['chain', 'method'] as const,
    registers: [this.registry],
  });

  readonly hedgesWon = new Counter({
    name: 'lasso_hedges_won_total',
    help: 'Requests answered by a hedge attempt rather than the first one',
    labelNames: ['chain', 'method'] as const,
    registers: [this.registry],
  });

  /** The response cache: hits, misses, bytes, entries, evictions, reorg invalidations. */
  readonly cache = new CacheMetrics(this.registry);

  readonly coalesced = new Counter({
    name: 'lasso_coalesced_requests_total',
    help: 'Requests served by joining an identical in-flight request instead of going upstream',
    labelNames: ['chain', 'method'] as const,
    registers: [this.registry],
  });

  readonly breakerState = new Gauge({
    name: 'lasso_breaker_state',
    help: 'Circuit breaker state per channel: 0 closed, 1 half-open, 2 open',
    labelNames: ['chain', 'provider', 'transport'] as const,
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'lasso_breaker_transitions_total',
    help: 'Circuit breaker transitions per channel',
    labelNames: ['chain', 'provider', 'transport', 'from', 'to'] as const,
    registers: [this.registry],
  });

  readonly providerHead = new Gauge({
    name: 'lasso_provider_head_block',
    help: 'Latest block number reported by each provider',
    labelNames: ['chain', 'provider'] as const,
    registers: [this.registry],
  });

  readonly providerLag = new Gauge({
    name: 'lasso_provider_lag_blocks',
    help: 'Blocks each provider is behind the chain head',
    labelNames: ['chain', 'provider'] as const,
    registers: [this.registry],
  });

  readonly chainHead = new Gauge({
    name: 'lasso_chain_head_block',
    help: 'Corroborated head of the chain: a height at least two providers reached, or one reached at a plausible pace',
    labelNames: ['chain'] as const,
    registers: [this.registry],
  });

  readonly providerOutlier = new Gauge({
    name: 'lasso_provider_outlier',
    help: '1 while a provider reports a head implausibly ahead of the others (it gets no head-dependent traffic)',
    labelNames: ['chain', 'provider'] as const,
    registers: [this.registry],
  });

  readonly outlierEvents = new Counter({
    name: 'lasso_provider_outlier_events_total',
    help: 'Times a provider was marked as an outlier',
    labelNames: ['chain', 'provider'] as const,
    registers: [this.registry],
  });

  readonly reorgs = new Counter({
    name: 'lasso_reorgs_total',
    help: 'Reorgs seen by the chain view (a different hash at a height it knew)',
    labelNames: ['chain'] as const,
    registers: [this.registry],
  });

  readonly notFinalNulls = new Counter({
    name: 'lasso_null_retries_total',
    help: 'Null or empty answers from a provider behind the chain head that were asked again elsewhere',
    labelNames: ['chain', 'method'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'lasso_rate_limit_cooldowns_total',
    help: 'Rate-limit answers that put a channel in cooldown',
    labelNames: ['chain', 'provider'] as const,
    registers: [this.registry],
  });

  readonly upstreamBytes = new BoundCounter({
    name: 'lasso_upstream_bytes_total',
    help: 'Bytes of upstream answers that carried a result, by stage: wire (as received, maybe compressed) or decoded; wire/decoded is the compression ratio',
    labelNames: ['chain', 'method', 'stage'] as const,
    registers: [this.registry],
  });

  readonly answerBytes = new BoundCounter({
    name: 'lasso_answer_bytes_total',
    help: 'Bytes of JSON-RPC answers sent to clients (before any HTTP compression), by chain, method and transport',
    labelNames: ['chain', 'method', 'transport'] as const,
    registers: [this.registry],
  });

  readonly httpAnswerBytes = new BoundCounter({
    name: 'lasso_http_answer_bytes_total',
    help: 'Bytes of HTTP JSON-RPC answers by content encoding (identity | gzip | br) and stage: json (before compression) or wire; wire/json is the compression ratio',
    labelNames: ['chain', 'encoding', 'stage'] as const,
    registers: [this.registry],
  });

  readonly invalidRequests = new Counter({
    name: 'lasso_invalid_requests_total',
    help: 'Client input rejected before routing, by JSON-RPC error code and reason',
    labelNames: ['transport', 'code', 'reason'] as const,
    registers: [this.registry],
  });

  /** eth_getLogs requests cut into sub-ranges. */
  readonly getLogs = new GetLogsMetrics(this.registry);

  /** One finished client request (a batch item counts as one). */
  recordRequest(chain: string, method: string, transport: string, outcome: string, seconds: number): void {
    this.requests.bind(chain, method, transport, outcome).inc();
    this.requestDuration.bind(chain, method, outcome).observe(seconds);
  }

  /** One finished upstream attempt; `result` is 'success' or the error class. */
  recordAttempt(chain: string, provider: string, transport: string, method: string, result: string, seconds: number): void {
    this.attempts.bind(chain, provider, transport, method, result).inc();
    this.upstreamDuration.bind(chain, provider, method).observe(seconds);
  }

  /** An upstream answer with a result: its size on the wire and decoded. */
  recordUpstreamBytes(chain: string, method: string, wireBytes: number, decodedBytes: number): void {
    this.upstreamBytes.bind(chain, method, 'wire').inc(wireBytes);
    this.upstreamBytes.bind(chain, method, 'decoded').inc(decodedBytes);
  }

  /** One answer to a client (a batch item counts as one). */
  recordAnswerBytes(chain: string, method: string, transport: string, bytes: number): void {
    this.answerBytes.bind(chain, method, transport).inc(bytes);
  }

  /** One HTTP answer written: its JSON size and what went on the wire with `encoding`. */
  recordHttpAnswerBytes(chain: string, encoding: string, jsonBytes: number, wireBytes: number): void {
    this.httpAnswerBytes.bind(chain, encoding, 'json').inc(jsonBytes);
    this.httpAnswerBytes.bind(chain, encoding, 'wire').inc(wireBytes);
  }

  constructor(options: { collectProcessMetrics?: boolean } = {}) {
    if (options.collectProcessMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'lasso_' });
  }

  contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }
}

export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
