import { sumSamples } from '../../chaos/scenario/index.js';
import type { MetricSample, ProviderSample, ProviderStateChange } from '../../chaos/scenario/index.js';
import type { RequestRecord } from '../../chaos/workload/index.js';

/** One of Lasso's own counters held against what the workload saw. */
export interface MetricAccuracy {
  /** `requests`, `errors`, `failovers`, `breakerOpens`, `breakerBalance`, `wsDeliveries`. */
  id: string;
  name: string;
  /** Counter delta over the run. */
  metric: number;
  /** The workload's ground truth: an exact count, or the bounds the counter must fall in. */
  expected: { min: number; max: number };
  passed: boolean;
  detail: string;
}

export interface MetricsAccuracyInput {
  records: readonly RequestRecord[];
  /** Counter deltas over the run (after - before). */
  delta: readonly MetricSample[];
  /** The scrape after the run (gauges). */
  after: readonly MetricSample[];
  /** /api/providers polls and the breaker changes they showed. */
  samples: readonly ProviderSample[];
  breakerChanges: readonly ProviderStateChange[];
  /** Notifications the subscription probes received. */
  notifications: number;
  subscribers: number;
  chain: string;
  /** HTTP requests sent beside the workload (a probe's), and how many of them got no result. */
  otherRequests?: { requests: number; unanswered: number };
}

const BREAKER_STATES = ['closed', 'half_open', 'open'] as const;
const BREAKER_GAUGE: Record<string, (typeof BREAKER_STATES)[number]> = { '0': 'closed', '1': 'half_open', '2': 'open' };

/**
 * Compares Lasso's Prometheus counters over a battle with the workload's own records:
 * - requests and errors (HTTP, by outcome) must be equal;
 * - failovers: every extra attempt of a request that was not hedged is a failover (lower bound;
 *   the subscription engine's own reads add failovers no client sent);
 * - breaker opens must be at least those /api/providers polls saw (a poll every 100 ms can miss a
 *   short state, never invent one), and per channel transitions into a state minus out of it must
 *   equal where the breaker ended minus where it started;
 * - WebSocket messages sent must equal the notifications the subscribers received.
 */
export function checkMetricsAccuracy(input: MetricsAccuracyInput): MetricAccuracy[] {
  const { records, delta, chain } = input;
  const out: MetricAccuracy[] = [];
  const exact = (id: string, name: string, metric: number, truth: number, what: string) =>
    out.push({ id, name, metric, expected: { min: truth, max: truth }, passed: metric === truth, detail: `/metrics ${metric}, ${what} ${truth}` });

  const http = { chain, transport: 'http' };
  const other = input.otherRequests ?? { requests: 0, unanswered: 0 };
  exact('requests', 'Requests counted', sumSamples(delta, 'lasso_requests_total', http), records.length + other.requests, 'requests sent');
  const errors = records.filter((r) => r.outcome !== 'success').length + other.unanswered;
  exact('errors', 'Errors counted', sumSamples(delta, 'lasso_requests_total', http) - sumSamples(delta, 'lasso_requests_total', { ...http, outcome: 'success' }), errors, 'requests not answered with a result');

  // Lasso counts a failover per failed attempt it may move on from, also when no other provider
  // could be admitted after all: clients see no extra attempt for those, so only a lower bound holds.
  let min = 0;
  for (const r of records) if (!r.hedged) min += Math.max(0, (r.attempts ?? 0) - 1);
  const failovers = sumSamples(delta, 'lasso_failovers_total', { chain });
  out.push({
    id: 'failovers',
    name: 'Failovers counted',
    metric: failovers,
    expected: { min, max: Number.POSITIVE_INFINITY },
    passed: failovers >= min,
    detail: `/metrics ${failovers}, at least ${min} (extra attempts of unhedged requests)`,
  });

  const opens = (provider: string, transport: string) =>
    sumSamples(delta, 'lasso_breaker_transitions_total', { chain, provider, transport, to: 'open' });
  const polledOpens = new Map<string, number>();
  for (const c of input.breakerChanges) if (c.to === 'open') polledOpens.set(`${c.provider}\0${c.field.slice('breaker:'.length)}`, (polledOpens.get(`${c.provider}\0${c.field.slice('breaker:'.length)}`) ?? 0) + 1);
  let metricOpens = 0;
  let seenOpens = 0;
  const short: string[] = [];
  for (const [key, seen] of polledOpens) {
    const [provider, transport] = key.split('\0') as [string, string];
    const n = opens(provider, transport);
    seenOpens += seen;
    metricOpens += n;
    if (n < seen) short.push(`${provider}/${transport} ${n} < ${seen}`);
  }
  out.push({
    id: 'breakerOpens',
    name: 'Breaker openings counted',
    metric: metricOpens,
    expected: { min: seenOpens, max: Number.POSITIVE_INFINITY },
    passed: short.length === 0,
    detail: short.length === 0 ? `/metrics ${metricOpens}, polls saw ${seenOpens}` : `fewer than the polls saw: ${short.join(', ')}`,
  });

  const unbalanced = breakerBalance(input, chain);
  out.push({
    id: 'breakerBalance',
    name: 'Breaker transitions add up to the final state',
    metric: unbalanced.length,
    expected: { min: 0, max: 0 },
    passed: unbalanced.length === 0,
    detail: unbalanced.length === 0 ? 'every channel: transitions in - out = final - initial state' : unbalanced.join('; '),
  });

  if (input.subscribers > 0)
    exact('wsDeliveries', 'Subscription deliveries counted', sumSamples(delta, 'lasso_ws_client_messages_total', { chain, direction: 'out' }), input.notifications, 'notifications received');
  return out;
}

/** Channels whose transition counts do not lead from the first polled state to the final gauge. */
function breakerBalance(input: MetricsAccuracyInput, chain: string): string[] {
  const first = input.samples[0];
  if (!first) return [];
  const problems: string[] = [];
  for (const [provider, state] of Object.entries(first.providers)) {
    for (const [transport, initial] of Object.entries(state.breakers)) {
      const gauge = input.after.find((s) => s.name === 'lasso_breaker_state' && s.labels.chain === chain && s.labels.provider === provider && s.labels.transport === transport);
      if (!gauge) continue;
      const final = BREAKER_GAUGE[String(gauge.value)];
      for (const st of BREAKER_STATES) {
        const into = sumSamples(input.delta, 'lasso_breaker_transitions_total', { chain, provider, transport, to: st });
        const outOf = sumSamples(input.delta, 'lasso_breaker_transitions_total', { chain, provider, transport, from: st });
        const want = (final === st ? 1 : 0) - (initial === st ? 1 : 0);
        if (into - outOf !== want) {
          problems.push(`${provider}/${transport}: ${initial} -> ${final ?? String(gauge.value)}, but ${into} into and ${outOf} out of ${st}`);
          break;
        }
      }
    }
  }
  return problems;
}
