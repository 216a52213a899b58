/**
 * The pipeline's decisions on their own, with fake evidence, providers and chain views: when to
 * hedge, when to give up on an attempt, how many hedges a chain may add, and whether a null
 * answer stands or is asked again elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { ChainSchema } from '../../../src/config/schema.js';
import type { ChainConfig } from '../../../src/config/schema.js';
import { attemptTimeoutMs, hedgeDelayMs } from '../../../src/pipeline/attempt-timing.js';
import { isEmptyAnswer, nullVerdict } from '../../../src/pipeline/null-answers.js';
import type { ChainView } from '../../../src/providers/chain-view.js';
import type { ProviderRuntime } from '../../../src/providers/provider.js';
import { HedgeBudget } from '../../../src/resilience/hedge-budget.js';
import { EvidenceStore } from '../../../src/routing/index.js';

const chain = (over: Record<string, unknown> = {}): ChainConfig =>
  ChainSchema.parse({ chainId: 1, providers: [{ id: 'a', url: 'http://127.0.0.1:1' }], ...over });

/** Evidence where each provider answered `method` in exactly the given time, `n` times. */
function evidenceWith(latencies: Record<string, number>, n = 30, method = 'eth_call'): EvidenceStore {
  const evidence = new EvidenceStore();
  for (const [id, ms] of Object.entries(latencies)) for (let i = 0; i < n; i++) evidence.recordSuccess(id, method, ms);
  return evidence;
}

describe('hedge delay', () => {
  const c = chain({ hedging: { quantile: 0.9, multiplier: 1.5, floorMs: 20, ceilingMs: 500 } });

  it('waits the ceiling while nobody is measured', () => {
    expect(hedgeDelayMs(c, new EvidenceStore(), 'a', 'eth_call', ['a', 'b'])).toBe(500);
  });

  it('is the provider quantile times the multiplier, within floor and ceiling', () => {
    expect(hedgeDelayMs(c, evidenceWith({ a: 40 }), 'a', 'eth_call', ['a'])).toBe(60);
    expect(hedgeDelayMs(c, evidenceWith({ a: 2 }), 'a', 'eth_call', ['a'])).toBe(20);
    expect(hedgeDelayMs(c, evidenceWith({ a: 1_000 }), 'a', 'eth_call', ['a'])).toBe(500);
  });

  it('never waits on a provider longer than twice the best candidate would take', () => {
    const evidence = evidenceWith({ slow: 200, fast: 20 });
    expect(hedgeDelayMs(c, evidence, 'slow', 'eth_call', ['slow', 'fast'])).toBe(60);
    // Unmeasured itself: judged by the best candidate alone.
    expect(hedgeDelayMs(c, evidence, 'new', 'eth_call', ['new', 'fast'])).toBe(60);
  });
});

describe('adaptive attempt timeout', () => {
  const c = chain({ adaptiveTimeouts: { quantile: 0.99, multiplier: 5, floorMs: 50, minSamples: 20, disabledMethods: ['eth_getLogs'] } });

  it('stays with the fixed timeout until minSamples are known, or for a disabled method', () => {
    expect(attemptTimeoutMs(c, evidenceWith({ a: 10 }, 19), 'a', 'eth_call', 0)).toBeUndefined();
    expect(attemptTimeoutMs(c, evidenceWith({ a: 10 }, 30, 'eth_getLogs'), 'a', 'eth_getLogs', 0)).toBeUndefined();
  });

  it('is the quantile times the multiplier, at least the floor, plus the event-loop lag', () => {
    expect(attemptTimeoutMs(c, evidenceWith({ a: 30 }), 'a', 'eth_call', 0)).toBe(150);
    expect(attemptTimeoutMs(c, evidenceWith({ a: 30 }), 'a', 'eth_call', 12.3)).toBe(163);
    expect(attemptTimeoutMs(c, evidenceWith({ a: 2 }), 'a', 'eth_call', 0)).toBe(50);
  });
});

describe('hedge budget', () => {
  it('allows a burst, then one hedge per 1/ratio requests', () => {
    const budget = new HedgeBudget(0.25, 2);
    expect([budget.trySpend(), budget.trySpend(), budget.trySpend()]).toEqual([true, true, false]);
    for (let i = 0; i < 3; i++) budget.earn();
    expect(budget.trySpend()).toBe(false);
    budget.earn();
    expect(budget.trySpend()).toBe(true);
  });

  it('never saves more than the burst', () => {
    const budget = new HedgeBudget(0.5, 1);
    for (let i = 0; i < 100; i++) budget.earn();
    expect([budget.trySpend(), budget.trySpend()]).toEqual([true, false]);
  });
});

describe('null answers', () => {
  const provider = (head: number | undefined) => ({ head: { number: head } }) as unknown as ProviderRuntime;
  const view = (answerHead: number | undefined) => ({ answerHead: () => answerHead }) as unknown as ChainView;
  const byNumber = (number: number) => ({ kind: 'number', number, moving: false }) as const;

  it('a provider below the chain head or the block asked for is behind: ask again elsewhere', () => {
    expect(nullVerdict('eth_getTransactionReceipt', { kind: 'none' }, provider(99), view(100))).toBe('behind');
    expect(nullVerdict('eth_getLogs', byNumber(101), provider(100), view(undefined))).toBe('behind');
  });

  it('a block the chain already has may still be propagating', () => {
    expect(nullVerdict('eth_getBlockByNumber', byNumber(100), provider(100), view(100))).toBe('propagating');
    expect(nullVerdict('eth_getBlockByHash', { kind: 'hash', hash: '0xab' }, provider(100), view(100))).toBe('propagating');
  });

  it('an in-sync provider, or a method that is no lookup, has the final word', () => {
    expect(nullVerdict('eth_getTransactionReceipt', { kind: 'none' }, provider(100), view(100))).toBe('final');
    expect(nullVerdict('eth_call', byNumber(200), provider(100), view(200))).toBe('final');
  });

  it('an empty log list counts as a null answer, an empty array elsewhere does not', () => {
    expect(isEmptyAnswer('eth_getLogs', { isNull: false, isEmptyArray: true })).toBe(true);
    expect(isEmptyAnswer('eth_getBlockReceipts', { isNull: false, isEmptyArray: true })).toBe(false);
    expect(isEmptyAnswer('eth_getBlockReceipts', { isNull: true, isEmptyArray: false })).toBe(true);
  });
});
