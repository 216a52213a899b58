import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPrng } from '../../../src/chaos/prng.js';
import { createStrategy, isStrategyName, STRATEGY_NAMES } from '../../../src/routing/index.js';
import type { RankCandidate } from '../../../src/routing/index.js';

const FC = { seed: 20240601, numRuns: 200 } as const;

const candidatesArb: fc.Arbitrary<RankCandidate[]> = fc.uniqueArray(
  fc.record({
    providerId: fc.string({ minLength: 1, maxLength: 6 }),
    priority: fc.integer({ min: 0, max: 3 }),
    latencyMs: fc.option(fc.double({ min: 0, max: 5_000, noNaN: true }), { nil: undefined }),
  }),
  { selector: (c) => c.providerId, maxLength: 8 },
);

const ids = (cs: readonly RankCandidate[]) => cs.map((c) => c.providerId);
const cand = (providerId: string, latencyMs: number | undefined, priority = 1): RankCandidate => ({ providerId, priority, latencyMs });

/** Deterministic shuffle for "input order must not matter" checks. */
function shuffled<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('all strategies', () => {
  it.each(STRATEGY_NAMES)('%s returns a permutation of its input and does not mutate it', (name) => {
    const strategy = createStrategy(name, { random: createPrng(7).next });
    expect(strategy.name).toBe(name);
    fc.assert(
      fc.property(candidatesArb, (candidates) => {
        const before = JSON.stringify(candidates);
        const out = strategy.order(candidates);
        expect(out).not.toBe(candidates);
        expect(JSON.stringify(candidates)).toBe(before);
        expect([...ids(out)].sort()).toEqual([...ids(candidates)].sort());
        expect(out).toHaveLength(candidates.length);
        for (const c of out) expect(candidates).toContain(c);
      }),
      FC,
    );
  });

  it('names are validated', () => {
    expect(isStrategyName('latency-weighted')).toBe(true);
    expect(isStrategyName('round-robin')).toBe(true);
    expect(isStrategyName('random')).toBe(false);
  });
});

describe('priority', () => {
  const strategy = createStrategy('priority', { random: createPrng(1).next });

  it('orders by priority ascending, ties by id, whatever the input order', () => {
    fc.assert(
      fc.property(candidatesArb, fc.integer(), (candidates, seed) => {
        const out = strategy.order(candidates);
        for (let i = 1; i < out.length; i++) {
          const a = out[i - 1] as RankCandidate;
          const b = out[i] as RankCandidate;
          expect(a.priority < b.priority || (a.priority === b.priority && a.providerId < b.providerId)).toBe(true);
        }
        expect(ids(strategy.order(shuffled(candidates, createPrng(seed).next)))).toEqual(ids(out));
      }),
      FC,
    );
  });
});

describe('fastest', () => {
  it('orders measured candidates by latency, ties by priority then id', () => {
    const strategy = createStrategy('fastest', { random: createPrng(3).next });
    const out = strategy.order([cand('c', 30), cand('b', 10, 2), cand('a', 10, 2), cand('d', 10, 1), cand('e', 5)]);
    expect(ids(out)).toEqual(['e', 'd', 'a', 'b', 'c']);
  });

  it('uses priority order when nothing is measured yet', () => {
    const strategy = createStrategy('fastest', { random: createPrng(3).next });
    expect(ids(strategy.order([cand('x', undefined, 3), cand('y', undefined, 1), cand('z', undefined, 2)]))).toEqual(['y', 'z', 'x']);
  });

  it('puts an unmeasured candidate first with the explore probability, otherwise right after the fastest', () => {
    const strategy = createStrategy('fastest', { random: createPrng(11).next, exploreProbability: 0.2 });
    const candidates = [cand('slow', 50), cand('new', undefined), cand('fast', 10)];
    let explored = 0;
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const out = ids(strategy.order(candidates));
      if (out[0] === 'new') {
        explored++;
        expect(out).toEqual(['new', 'fast', 'slow']);
      } else {
        expect(out).toEqual(['fast', 'new', 'slow']);
      }
    }
    expect(explored / draws).toBeGreaterThan(0.18);
    expect(explored / draws).toBeLessThan(0.22);
  });

  it('spreads exploration over several unmeasured candidates', () => {
    const strategy = createStrategy('fastest', { random: createPrng(5).next, exploreProbability: 1 });
    const firsts = new Map<string, number>();
    for (let i = 0; i < 3_000; i++) {
      const first = strategy.order([cand('m', 10), cand('u1', undefined), cand('u2', undefined), cand('u3', undefined)])[0]?.providerId ?? '';
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    expect([...firsts.keys()].sort()).toEqual(['u1', 'u2', 'u3']);
    for (const n of firsts.values()) expect(n).toBeGreaterThan(900);
  });
});

describe('latency-weighted', () => {
  it('gives first place in proportion to (best/latency)^3, unmeasured counting as the best', () => {
    const strategy = createStrategy('latency-weighted', { random: createPrng(99).next });
    const candidates = [cand('a', 10), cand('b', 20), cand('c', 40), cand('u', undefined)];
    const weights: Record<string, number> = { a: 1, b: 1 / 8, c: 1 / 64, u: 1 };
    const total = Object.values(weights).reduce((x, y) => x + y, 0);
    const draws = 40_000;
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0, u: 0 };
    for (let i = 0; i < draws; i++) {
      const first = strategy.order(candidates)[0]?.providerId as string;
      firsts[first] = (firsts[first] ?? 0) + 1;
    }
    for (const [id, w] of Object.entries(weights)) {
      const expected = w / total;
      const observed = (firsts[id] ?? 0) / draws;
      // 5 standard deviations of a binomial proportion, plus a small absolute slack.
      const tolerance = 5 * Math.sqrt((expected * (1 - expected)) / draws) + 0.002;
      expect(Math.abs(observed - expected)).toBeLessThan(tolerance);
    }
    expect(firsts['a']).toBeGreaterThan(firsts['b'] as number);
    expect(firsts['b']).toBeGreaterThan(firsts['c'] as number);
  });

  it('matches the weights for any latencies, so a clearly fastest provider gets the most first places', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.double({ min: 1.5, max: 10, noNaN: true }), { minLength: 1, maxLength: 4 }),
        fc.integer(),
        (base, ratios, seed) => {
          const strategy = createStrategy('latency-weighted', { random: createPrng(seed).next });
          const candidates = [cand('fast', base), ...ratios.map((r, i) => cand(`slow${i}`, base * r))];
          const total = candidates.reduce((sum, c) => sum + (base / (c.latencyMs as number)) ** 3, 0);
          const draws = 4_000;
          const counts = new Map<string, number>();
          for (let i = 0; i < draws; i++) {
            const first = strategy.order(candidates)[0]?.providerId as string;
            counts.set(first, (counts.get(first) ?? 0) + 1);
          }
          for (const c of candidates) {
            const expected = (base / (c.latencyMs as number)) ** 3 / total;
            const observed = (counts.get(c.providerId) ?? 0) / draws;
            expect(Math.abs(observed - expected)).toBeLessThan(5 * Math.sqrt((expected * (1 - expected)) / draws) + 0.005);
          }
          expect(counts.get('fast')).toBe(Math.max(...counts.values()));
        },
      ),
      { seed: 77, numRuns: 40 },
    );
  });

  it('is uniform when nothing is measured, and survives zero latencies', () => {
    const strategy = createStrategy('latency-weighted', { random: createPrng(4).next });
    const counts = new Map<string, number>();
    for (let i = 0; i < 6_000; i++) {
      const first = strategy.order([cand('a', undefined), cand('b', undefined), cand('c', undefined)])[0]?.providerId as string;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(Math.abs(n - 2_000)).toBeLessThan(200);
    expect(ids(strategy.order([cand('z', 0), cand('y', 0)])).sort()).toEqual(['y', 'z']);
  });

  it('is deterministic for a seeded random source', () => {
    const run = () => {
      const strategy = createStrategy('latency-weighted', { random: createPrng(123).next });
      return Array.from({ length: 50 }, () => ids(strategy.order([cand('a', 10), cand('b', 12), cand('c', 15)])).join(''));
    };
    expect(run()).toEqual(run());
  });
});

describe('round-robin / load-balanced', () => {
  it.each(['round-robin', 'load-balanced'] as const)('%s puts each provider first equally often, whatever the input order', (name) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 20 }), fc.integer(), (n, k, seed) => {
        const strategy = createStrategy(name, { random: createPrng(seed).next });
        const candidates = Array.from({ length: n }, (_, i) => cand(`p${i}`, i * 10, i % 2));
        const shuffle = createPrng(seed ^ 0x5bd1e995).next;
        const firsts = new Map<string, number>();
        for (let i = 0; i < k * n; i++) {
          const first = strategy.order(shuffled(candidates, shuffle))[0]?.providerId as string;
          firsts.set(first, (firsts.get(first) ?? 0) + 1);
        }
        expect(firsts.size).toBe(n);
        for (const count of firsts.values()) expect(Math.abs(count - k)).toBeLessThanOrEqual(1);
      }),
      FC,
    );
  });

  it('rotates a canonical order by one each call', () => {
    const strategy = createStrategy('round-robin', { random: createPrng(0).next });
    const cs = [cand('b', 1), cand('a', 2), cand('c', 3)];
    expect([0, 1, 2, 3].map(() => ids(strategy.order(cs)).join(''))).toEqual(['abc', 'bca', 'cab', 'abc']);
  });

  it('keeps a separate counter per instance', () => {
    const a = createStrategy('round-robin', { random: createPrng(0).next });
    const b = createStrategy('round-robin', { random: createPrng(0).next });
    a.order([cand('x', 1), cand('y', 1)]);
    expect(ids(b.order([cand('x', 1), cand('y', 1)]))).toEqual(['x', 'y']);
  });
});

describe('seededRandom', () => {
  it('is reproducible and stays in [0, 1)', () => {
    const a = createPrng(42).next;
    const b = createPrng(42).next;
    for (let i = 0; i < 1_000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(createPrng(1).next()).not.toBe(createPrng(2).next());
  });
});
