import { describe, expect, it } from 'vitest';
import { EventLog } from '../../../src/dashboard/event-log.js';
import type { ChainTotals } from '../../../src/dashboard/metric-totals.js';
import { quantileBetween } from '../../../src/dashboard/metric-totals.js';
import { DashboardSeries } from '../../../src/dashboard/series.js';

function totals(requests: number, answered: number, attempts: number, failures: number, buckets: [number, number][]): Map<string, ChainTotals> {
  const byResult = new Map([
    ['success', attempts - failures],
    ['provider_failure', failures],
  ]);
  return new Map([['c', { requests, answered, providers: new Map([['p', { attempts, byResult, latencyBuckets: new Map(buckets) }]]) }]]);
}

describe('dashboard series', () => {
  it('interpolates quantiles inside the bucket of the interval, as histogram_quantile does', () => {
    const before = new Map([
      [0.001, 0],
      [0.01, 0],
      [Infinity, 0],
    ]);
    const after = new Map([
      [0.001, 50],
      [0.01, 100],
      [Infinity, 100],
    ]);
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(1, 6);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(1 + 9 * (49 / 50), 6);
    expect(quantileBetween(after, after, 0.5)).toBeUndefined();
  });

  it('turns lifetime totals into per-second rates, ratios and per-provider errors, keeping the window', () => {
    const series = new DashboardSeries({ windowMs: 2_000 });
    expect(series.add(1_000, totals(0, 0, 0, 0, [[Infinity, 0]])).size).toBe(0);
    const point = series.add(2_000, totals(10, 9, 12, 2, [[0.001, 12], [Infinity, 12]])).get('c')!;
    expect(point).toMatchObject({ t: 2_000, rps: 10, successRatio: 0.9, providers: { p: { attempts: 12, errors: { provider_failure: 2 } } } });
    series.add(3_000, totals(10, 9, 12, 2, [[0.001, 12], [Infinity, 12]]));
    series.add(5_000, totals(10, 9, 12, 2, [[0.001, 12], [Infinity, 12]]));
    expect(series.of('c').map((p) => [p.t, p.successRatio, p.providers.p!.p50])).toEqual([
      [3_000, null, null],
      [5_000, null, null],
    ]);
  });
});

describe('dashboard event log', () => {
  it('folds a burst of the same failover into one line and keeps transitions apart', () => {
    const log = new EventLog({ burstMs: 1_000 });
    const failover = { type: 'failover', chain: 'c', provider: 'p', method: 'eth_call', errorClass: 'provider_failure', reason: 'timeout' } as const;
    log.add({ ...failover, at: 0 });
    log.add({ type: 'breaker', chain: 'c', provider: 'p', transport: 'http', from: 'closed', to: 'open', reason: 'consecutive_timeout', at: 10 });
    const folded = log.add({ ...failover, at: 900 });
    log.add({ ...failover, at: 2_500 });
    expect(folded).toMatchObject({ count: 2, at: 0, lastAt: 900 });
    expect(log.list().map((e) => [e.type, e.count])).toEqual([
      ['failover', 2],
      ['breaker', 1],
      ['failover', 1],
    ]);
    expect(log.latest('c', 'breaker')?.text).toBe('p http breaker closed → open (consecutive_timeout)');
  });
});
