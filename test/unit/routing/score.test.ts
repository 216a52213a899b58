import { describe, expect, it } from 'vitest';
import { estimateTail, isSaturated, scoreCandidate, tailCostMs } from '../../../src/routing/score.js';
import type { ScoreEvidence } from '../../../src/routing/score.js';
import { createPrng } from '../../../src/chaos/prng.js';
import { createStrategy } from '../../../src/routing/index.js';
import type { RankCandidate } from '../../../src/routing/index.js';

const steady = (ms: number, jitter = 0): ScoreEvidence['latency'] => ({ p50: ms, p90: ms + jitter * 0.8, p99: ms + jitter });
const evidence = (over: Partial<ScoreEvidence> = {}): ScoreEvidence => ({
  latency: steady(10),
  errorRate: 0,
  lagBlocks: 0,
  inFlight: 0,
  capacity: 64,
  ...over,
});
const cand = (providerId: string, over: Partial<ScoreEvidence> = {}, priority = 1): RankCandidate => ({
  providerId,
  priority,
  latencyMs: over.latency === undefined && 'latency' in over ? undefined : 10,
  evidence: evidence(over),
});

describe('score', () => {
  it('is undefined without latency evidence, and grows with the tail, not only the median', () => {
    expect(scoreCandidate(evidence({ latency: undefined }))).toBeUndefined();
    const calm = scoreCandidate(evidence({ latency: { p50: 10, p90: 11, p99: 12 } })) as number;
    const spiky = scoreCandidate(evidence({ latency: { p50: 10, p90: 30, p99: 200 } })) as number;
    expect(spiky).toBeGreaterThan(calm + 40);
    expect(tailCostMs({ p50: 10, p90: 10, p99: 10 })).toBe(10);
  });

  it('adds the cost of failures, lag and a queue beyond the pool', () => {
    const base = scoreCandidate(evidence()) as number;
    expect(scoreCandidate(evidence({ errorRate: 0.05 }))).toBeCloseTo(base + 10);
    expect(scoreCandidate(evidence({ lagBlocks: 2 }))).toBeCloseTo(base + 40);
    expect(scoreCandidate(evidence({ inFlight: 63 }))).toBeCloseTo(base);
    expect(scoreCandidate(evidence({ inFlight: 127 }))).toBeCloseTo(base + 10);
    expect(isSaturated({ inFlight: 64, capacity: 64 })).toBe(true);
    expect(isSaturated({ inFlight: 63, capacity: 64 })).toBe(false);
  });
});

describe('best', () => {
  const share = (order: (cs: RankCandidate[]) => RankCandidate[], candidates: RankCandidate[], n = 2000): Record<string, number> => {
    const firsts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const id = (order(candidates)[0] as RankCandidate).providerId;
      firsts[id] = (firsts[id] ?? 0) + 1;
    }
    return firsts;
  };

  it('sends every request to the best scored provider and keeps the others in score order behind it', () => {
    const strategy = createStrategy('best', { random: createPrng(1).next });
    const cs = [cand('slow', { latency: steady(25, 3) }), cand('fast', { latency: steady(5, 3) }), cand('mid', { latency: steady(15, 3) })];
    expect(share((c) => strategy.order(c), cs)).toEqual({ fast: 2000 });
    expect(strategy.order(cs).map((c) => c.providerId)).toEqual(['fast', 'mid', 'slow']);
  });

  it('prefers a provider with a steady tail over one with a slightly better median and a bad tail', () => {
    const strategy = createStrategy('best', { random: createPrng(2).next });
    const cs = [cand('spiky', { latency: { p50: 8, p90: 40, p99: 300 } }), cand('steady', { latency: { p50: 12, p90: 14, p99: 16 } })];
    expect(strategy.order(cs)[0]?.providerId).toBe('steady');
  });

  it('shares traffic between providers within the tie margin', () => {
    const strategy = createStrategy('best', { random: createPrng(3).next });
    const firsts = share((c) => strategy.order(c), [cand('a', { latency: steady(10) }), cand('b', { latency: steady(10.5) }), cand('c', { latency: steady(30) })]);
    expect(firsts.c).toBeUndefined();
    expect(firsts.a).toBeGreaterThan(800);
    expect(firsts.b).toBeGreaterThan(800);
  });

  it('sheds to the next best when the best is saturated, and back when it is not', () => {
    const strategy = createStrategy('best', { random: createPrng(4).next });
    const fast = (inFlight: number): RankCandidate => cand('fast', { latency: steady(5), inFlight, capacity: 8 });
    const other = cand('second', { latency: steady(15), capacity: 8 });
    expect(strategy.order([fast(8), other]).map((c) => c.providerId)).toEqual(['second', 'fast']);
    expect(strategy.order([fast(7), other])[0]?.providerId).toBe('fast');
  });

  it('avoids a failing or lagging provider even when it is the fastest', () => {
    const strategy = createStrategy('best', { random: createPrng(5).next });
    expect(strategy.order([cand('fast', { latency: steady(5), errorRate: 0.2 }), cand('ok', { latency: steady(15) })])[0]?.providerId).toBe('ok');
    expect(strategy.order([cand('fast', { latency: steady(5), lagBlocks: 2 }), cand('ok', { latency: steady(15) })])[0]?.providerId).toBe('ok');
  });

  it('puts unmeasured providers right after the best (its failover target), and uses priority when nothing is measured', () => {
    const strategy = createStrategy('best', { random: createPrng(6).next });
    const order = strategy.order([cand('slow', { latency: steady(30) }), cand('new', { latency: undefined }), cand('fast', { latency: steady(5) })]);
    expect(order.map((c) => c.providerId)).toEqual(['fast', 'new', 'slow']);
    const none = strategy.order([cand('b', { latency: undefined }, 2), cand('a', { latency: undefined }, 1)]);
    expect(none.map((c) => c.providerId)).toEqual(['a', 'b']);
  });

  it('falls back to latencyMs when a candidate carries no evidence', () => {
    const strategy = createStrategy('best', { random: createPrng(7).next });
    const order = strategy.order([
      { providerId: 'b', priority: 1, latencyMs: 20 },
      { providerId: 'a', priority: 1, latencyMs: 5 },
    ]);
    expect(order.map((c) => c.providerId)).toEqual(['a', 'b']);
  });
});

describe('estimateTail', () => {
  it("adds the method's cost over the probe median, measured on a reference provider, to a candidate's probe median", () => {
    const reference = { method: { p50: 45, p90: 50, p99: 60 }, probe: { p50: 5, p90: 6, p99: 8 } };
    expect(estimateTail({ p50: 15, p90: 16, p99: 18 }, reference)).toEqual({ p50: 55, p90: 60, p99: 70 });
    // A noisy probe tail does not count: only the median says how far the provider is.
    expect(estimateTail({ p50: 15, p90: 16, p99: 300 }, undefined)).toEqual({ p50: 15, p90: 15, p99: 15 });
    // A method cheaper than the probe adds nothing (never below the probe median).
    expect(estimateTail({ p50: 15, p90: 16, p99: 18 }, { method: { p50: 1, p90: 1, p99: 1 }, probe: reference.probe })).toEqual({ p50: 15, p90: 15, p99: 15 });
  });
});
