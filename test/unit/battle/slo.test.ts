import { describe, expect, it } from 'vitest';
import type { FaultAnalysis, FaultEpisode } from '../../../src/battle/analysis/faults.js';
import type { SubscriptionsSummary } from '../../../src/battle/analysis/subscriptions.js';
import { evaluateSlos, formatSloValue } from '../../../src/battle/slo.js';

const totals = { requests: 1000, answeredRatio: 0.9995, latencyMs: { p50: 8, p95: 40, p99: 120 } };
const subs = (over: Partial<SubscriptionsSummary> = {}): SubscriptionsSummary => ({
  subscribers: 2,
  expected: 100,
  delivered: 100,
  deliveryRatio: 1,
  duplicates: 0,
  duplicateRatio: 0,
  maxGapBlocks: 0,
  missed: 0,
  closes: 0,
  bySubscriber: [],
  series: { bucketMs: 1000, points: [] },
  incidents: [],
  ...over,
});
const episode = (over: Partial<FaultEpisode> = {}): FaultEpisode => ({
  entry: 0,
  action: 'partition',
  label: 'partition node-1',
  targets: ['node-1'],
  onsetMs: 1000,
  repairMs: 5000,
  breakerExpected: true,
  disturbedRequests: 2,
  failoverMs: 300,
  breakerOpenMs: 150,
  recoveryMs: 2000,
  recovery: 'closed',
  ...over,
});
const faults = (episodes: FaultEpisode[]): FaultAnalysis => ({ disturbedLatencyMs: 60, cleanWindowMs: 1000, episodes });

describe('SLO verdicts', () => {
  it('passes and fails each SLO against its bound, in a fixed order', () => {
    const r = evaluateSlos(
      { successRatio: 0.999, p50Ms: 10, p95Ms: 30, p99Ms: 200, wsDeliveryRatio: 1, duplicateRatio: 0, maxGapBlocks: 0, failoverMs: 1000, breakerOpenMs: 100, recoveryMs: 5000 },
      { totals, subscriptions: subs(), faults: faults([episode()]) },
    );
    expect(r.map((s) => [s.id, s.passed])).toEqual([
      ['successRatio', true],
      ['p50Ms', true],
      ['p95Ms', false],
      ['p99Ms', true],
      ['wsDeliveryRatio', true],
      ['duplicateRatio', true],
      ['maxGapBlocks', true],
      ['failoverMs', true],
      ['breakerOpenMs', false],
      ['recoveryMs', true],
    ]);
    expect(r.find((s) => s.id === 'p95Ms')).toMatchObject({ measured: 40, target: 30, op: '<=' });
  });

  it('an impossible latency bound (p50 <= 0 ms) fails', () => {
    const [p50] = evaluateSlos({ p50Ms: 0 }, { totals, subscriptions: subs(), faults: faults([]) });
    expect(p50).toMatchObject({ id: 'p50Ms', passed: false, measured: 8 });
  });

  it('WebSocket SLOs fail without subscribers; fault SLOs are n/a without faults', () => {
    const r = evaluateSlos({ wsDeliveryRatio: 1, failoverMs: 1000, breakerOpenMs: 1000, recoveryMs: 1000 }, { totals, subscriptions: subs({ subscribers: 0, deliveryRatio: null, duplicateRatio: null }), faults: faults([]) });
    expect(r[0]).toMatchObject({ passed: false, measured: null, detail: 'the scenario has no WebSocket subscribers' });
    expect(r.slice(1).every((s) => s.passed && s.inconclusive)).toBe(true);
  });

  it('unsettled failovers and breakers that never opened fail', () => {
    const r = evaluateSlos({ failoverMs: 1000, breakerOpenMs: 1000 }, { totals, subscriptions: subs(), faults: faults([episode({ failoverMs: null, breakerOpenMs: null })]) });
    expect(r.map((s) => [s.passed, s.detail])).toEqual([
      [false, 'traffic did not settle during partition node-1 at 1.0 s'],
      [false, 'breaker did not open during partition node-1 at 1.0 s'],
    ]);
  });

  it('breakers are not expected to open on rate limits', () => {
    const [b] = evaluateSlos({ breakerOpenMs: 100 }, { totals, subscriptions: subs(), faults: faults([episode({ breakerExpected: false, breakerOpenMs: null })]) });
    expect(b).toMatchObject({ passed: true, inconclusive: true });
  });

  it('recovery still pending: inconclusive while the run was too short to tell, failed once it waited longer than the bound', () => {
    const short = evaluateSlos({ recoveryMs: 10_000 }, { totals, subscriptions: subs(), faults: faults([episode({ recovery: 'pending', recoveryMs: null, recoveryObservedMs: 3000 })]) });
    expect(short[0]).toMatchObject({ passed: true, inconclusive: true });
    const long = evaluateSlos({ recoveryMs: 10_000 }, { totals, subscriptions: subs(), faults: faults([episode({ recovery: 'pending', recoveryMs: null, recoveryObservedMs: 12_000 })]) });
    expect(long[0]).toMatchObject({ passed: false });
  });

  it('formats values in their unit', () => {
    expect(formatSloValue(0.9995, 'ratio')).toBe('99.950%');
    expect(formatSloValue(1, 'ratio')).toBe('100%');
    expect(formatSloValue(0.97, 'ratio')).toBe('97.00%');
    expect(formatSloValue(180, 'ms')).toBe('180 ms');
    expect(formatSloValue(2, 'blocks')).toBe('2 blocks');
    expect(formatSloValue(null, 'ms')).toBe('—');
  });

  it('consistency SLOs judge the probe\'s counts, and fail when the probe did not run', () => {
    const consistency = {
      headReads: 500,
      latestReads: 500,
      headsBackwards: 0,
      olderLatest: 2,
      bogusHeads: 0,
      stalenessBlocks: { p50: 0, p99: 1, max: 2 },
      receipts: 0,
      staleAfterReceipt: 0,
      reorgedAfterReceipt: 0,
      receiptTimeouts: 0,
      failedReads: 0,
      examples: [],
      failures: [],
    };
    const spec = { headsBackwards: 0, olderLatest: 0, bogusHeads: 0, staleAfterReceipt: 0, stalenessP99Blocks: 1 };
    const r = evaluateSlos(spec, { totals, subscriptions: subs(), faults: faults([]), consistency });
    expect(r.map((s) => [s.id, s.passed, s.measured])).toEqual([
      ['headsBackwards', true, 0],
      ['olderLatest', false, 2],
      ['bogusHeads', true, 0],
      ['staleAfterReceipt', false, null],
      ['stalenessP99Blocks', true, 1],
    ]);
    expect(r[3]!.detail).toBe('no transfer got its receipt');
    const none = evaluateSlos(spec, { totals, subscriptions: subs(), faults: faults([]) });
    expect(none.every((s) => !s.passed && s.detail === 'the consistency probe did not run')).toBe(true);

    const withoutLoop = evaluateSlos({ staleAnswers: 0 }, { totals, subscriptions: subs(), faults: faults([]), consistency });
    expect(withoutLoop).toEqual([expect.objectContaining({ id: 'staleAnswers', passed: false, measured: null, detail: 'the stale-answer loop did not run' })]);
    const stale = { answers: { blockByNumber: 10, blockByHash: 10, balance: 5, nonce: 5, logs: 10, receipt: 3 }, staleAnswers: 1, raced: 2, unchecked: 0, failedReads: 0, examples: ['x'] };
    const judged = evaluateSlos({ staleAnswers: 0 }, { totals, subscriptions: subs(), faults: faults([]), consistency: { ...consistency, stale } });
    expect(judged.map((s) => [s.id, s.passed, s.measured])).toEqual([['staleAnswers', false, 1]]);
  });
});
