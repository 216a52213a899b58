import { describe, expect, it } from 'vitest';
import { checkMetricsAccuracy } from '../../../src/battle/analysis/metrics-accuracy.js';
import type { MetricsAccuracyInput } from '../../../src/battle/analysis/metrics-accuracy.js';
import type { MetricSample } from '../../../src/chaos/scenario/index.js';
import type { RequestRecord } from '../../../src/chaos/workload/index.js';

const chain = 'devnet';
const rec = (seq: number, over: Partial<RequestRecord> = {}): RequestRecord => ({
  seq,
  kind: 'eth_getBalance',
  method: 'eth_getBalance',
  scheduledMs: seq,
  sentMs: seq,
  latencyMs: 5,
  outcome: 'success',
  attempts: 1,
  ...over,
});
const m = (name: string, value: number, labels: Record<string, string> = {}): MetricSample => ({ name, value, labels: { chain, ...labels } });

/** Three requests: one plain, one failed over once, one failed for good; node-1's breaker opened and closed again. */
function input(over: Partial<MetricsAccuracyInput> = {}): MetricsAccuracyInput {
  return {
    records: [rec(0), rec(1, { attempts: 2 }), rec(2, { outcome: 'failed', attempts: 1 })],
    delta: [
      m('lasso_requests_total', 2, { transport: 'http', outcome: 'success', method: 'eth_getBalance' }),
      m('lasso_requests_total', 1, { transport: 'http', outcome: 'failed', method: 'eth_getBalance' }),
      m('lasso_failovers_total', 1, { method: 'eth_getBalance' }),
      m('lasso_breaker_transitions_total', 1, { provider: 'node-1', transport: 'http', from: 'closed', to: 'open' }),
      m('lasso_breaker_transitions_total', 1, { provider: 'node-1', transport: 'http', from: 'open', to: 'half_open' }),
      m('lasso_breaker_transitions_total', 1, { provider: 'node-1', transport: 'http', from: 'half_open', to: 'closed' }),
      m('lasso_ws_client_messages_total', 7, { direction: 'out' }),
    ],
    after: [m('lasso_breaker_state', 0, { provider: 'node-1', transport: 'http' })],
    samples: [{ tMs: 0, providers: { 'node-1': { breakers: { http: 'closed' } } } } as never],
    breakerChanges: [{ tMs: 10, provider: 'node-1', field: 'breaker:http', from: 'closed', to: 'open' }],
    notifications: 7,
    subscribers: 2,
    chain,
    ...over,
  };
}

describe('metrics accuracy', () => {
  it('passes when every counter matches what the workload saw', () => {
    const r = checkMetricsAccuracy(input());
    expect(r.map((x) => [x.id, x.passed])).toEqual([
      ['requests', true],
      ['errors', true],
      ['failovers', true],
      ['breakerOpens', true],
      ['breakerBalance', true],
      ['wsDeliveries', true],
    ]);
  });

  it('adds the requests a probe sent beside the workload', () => {
    const probe = (requests: number, unanswered: number) => checkMetricsAccuracy(input({ otherRequests: { requests, unanswered } })).slice(0, 2).map((x) => [x.id, x.passed, x.expected.min]);
    expect(probe(0, 0)).toEqual([['requests', true, 3], ['errors', true, 1]]);
    expect(probe(5, 1)).toEqual([['requests', false, 8], ['errors', false, 2]]);
  });

  it('fails on a lost request, a missed failover, a lost notification and transitions that do not add up', () => {
    const base = input();
    const r = checkMetricsAccuracy(
      input({
        records: [...base.records, rec(3, { attempts: 3 })],
        notifications: 8,
        after: [m('lasso_breaker_state', 2, { provider: 'node-1', transport: 'http' })],
      }),
    );
    expect(r.filter((x) => !x.passed).map((x) => x.id)).toEqual(['requests', 'failovers', 'breakerBalance', 'wsDeliveries']);
    expect(r.find((x) => x.id === 'failovers')!.detail).toContain('at least 3');
  });

  it("a hedged request's extra attempt is no failover the counter must have", () => {
    const hedged = input({ records: [rec(0), rec(1, { attempts: 3, hedged: true }), rec(2, { outcome: 'failed', attempts: 1 })] });
    expect(checkMetricsAccuracy(hedged).find((x) => x.id === 'failovers')).toMatchObject({ passed: true, expected: { min: 0 } });
  });

  it('breaker openings the polls saw but the counter missed fail; no subscribers, no delivery check', () => {
    const r = checkMetricsAccuracy(input({ breakerChanges: [...input().breakerChanges, { tMs: 20, provider: 'node-1', field: 'breaker:http', from: 'closed', to: 'open' }], subscribers: 0 }));
    expect(r.find((x) => x.id === 'breakerOpens')!.passed).toBe(false);
    expect(r.some((x) => x.id === 'wsDeliveries')).toBe(false);
  });
});
