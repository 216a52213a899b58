import { describe, expect, it } from 'vitest';
import { EvidenceStore } from '../../../src/routing/index.js';
import type { EvidenceOptions } from '../../../src/routing/index.js';

function setup(options: EvidenceOptions = {}) {
  const clock = { t: 1_000 };
  return { clock, evidence: new EvidenceStore({ now: () => clock.t, ...options }) };
}

describe('EvidenceStore: latency', () => {
  it('is unmeasured until minSamples successes, then reports the mean', () => {
    const { evidence } = setup();
    expect(evidence.latencyMs('a', 'eth_call')).toBeUndefined();
    evidence.recordSuccess('a', 'eth_call', 10);
    evidence.recordSuccess('a', 'eth_call', 20);
    expect(evidence.latencyMs('a', 'eth_call')).toBeUndefined();
    evidence.recordSuccess('a', 'eth_call', 30);
    expect(evidence.latencyMs('a', 'eth_call')).toBeCloseTo(20, 10);
    expect(evidence.latencyMs('a', 'eth_getBalance')).toBeUndefined();
    expect(evidence.latencyMs('b', 'eth_call')).toBeUndefined();
  });

  it('failures add no latency', () => {
    const { evidence } = setup({ minSamples: 1 });
    evidence.recordSuccess('a', 'eth_call', 10);
    evidence.recordFailure('a', 'eth_call');
    expect(evidence.latencyMs('a', 'eth_call')).toBe(10);
  });

  it('lets old evidence fade with time (half-life)', () => {
    const { evidence, clock } = setup({ minSamples: 1, halfLifeMs: 30_000 });
    for (let i = 0; i < 10; i++) evidence.recordSuccess('a', 'm', 100);
    clock.t += 30_000; // one half-life: old weight 10 -> 5
    evidence.recordSuccess('a', 'm', 10);
    expect(evidence.latencyMs('a', 'm')).toBeCloseTo((5 * 100 + 10) / 6, 6);
    clock.t += 300_000; // ten half-lives: old evidence nearly gone...
    expect(evidence.latencyMs('a', 'm')).toBeCloseTo((5 * 100 + 10) / 6, 6); // ...but idling alone changes nothing
    evidence.recordSuccess('a', 'm', 10);
    expect(evidence.latencyMs('a', 'm')).toBeLessThan(11);
  });

  it('under heavy traffic reacts within tens of samples thanks to the weight cap', () => {
    const capped = setup({ minSamples: 1, maxEffectiveSamples: 50 });
    const uncapped = setup({ minSamples: 1, maxEffectiveSamples: 1e9 });
    for (const { evidence } of [capped, uncapped]) {
      for (let i = 0; i < 1_000; i++) evidence.recordSuccess('a', 'm', 100);
      for (let i = 0; i < 35; i++) evidence.recordSuccess('a', 'm', 10);
    }
    const c = capped.evidence.latencyMs('a', 'm') as number;
    expect(c).toBeGreaterThan(45);
    expect(c).toBeLessThan(65);
    expect(uncapped.evidence.latencyMs('a', 'm')).toBeGreaterThan(95);
  });

  it('keeps a provider-wide latency across methods', () => {
    const { evidence } = setup({ minSamples: 2 });
    evidence.recordSuccess('a', 'eth_call', 10);
    expect(evidence.providerLatencyMs('a')).toBeUndefined();
    evidence.recordSuccess('a', 'eth_getBalance', 30);
    expect(evidence.providerLatencyMs('a')).toBeCloseTo(20, 10);
    expect(evidence.providerLatencyMs('zzz')).toBeUndefined();
  });

  it('ignores nonsense latencies but still counts the success', () => {
    const { evidence } = setup({ minSamples: 1 });
    evidence.recordSuccess('a', 'm', Number.NaN);
    evidence.recordSuccess('a', 'm', -5);
    expect(evidence.latencyMs('a', 'm')).toBeUndefined();
    expect(evidence.successRate('a')).toBe(1);
  });
});

describe('EvidenceStore: success rate', () => {
  it('computes the success rate over the last N attempts', () => {
    const { evidence } = setup({ windowSize: 10 });
    expect(evidence.successRate('a')).toBeUndefined();
    for (let i = 0; i < 10; i++) evidence.recordFailure('a', 'm');
    for (let i = 0; i < 5; i++) evidence.recordSuccess('a', 'm', 1);
    expect(evidence.successRate('a')).toBe(0.5);
    for (let i = 0; i < 5; i++) evidence.recordSuccess('a', 'm', 1);
    expect(evidence.successRate('a')).toBe(1);
  });

  it('only counts attempts younger than windowMs', () => {
    const { evidence, clock } = setup({ windowMs: 60_000 });
    evidence.recordFailure('a', 'm');
    clock.t += 30_000;
    evidence.recordSuccess('a', 'm', 1);
    expect(evidence.successRate('a')).toBe(0.5);
    clock.t += 30_000;
    expect(evidence.successRate('a')).toBe(1);
    clock.t += 30_000;
    expect(evidence.successRate('a')).toBeUndefined();
  });

  it('leaves out attempts before `since`', () => {
    const { evidence, clock } = setup();
    evidence.recordFailure('a', 'm');
    clock.t += 1_000;
    const since = clock.t;
    expect(evidence.successRate('a', since)).toBeUndefined();
    evidence.recordSuccess('a', 'm', 1);
    expect(evidence.successRate('a')).toBe(0.5);
    expect(evidence.successRate('a', since)).toBe(1);
  });
});

describe('EvidenceStore: bounds', () => {
  it('bounds methods per provider, dropping the least recently seen', () => {
    const { evidence, clock } = setup({ maxMethodsPerProvider: 2, minSamples: 1 });
    evidence.recordSuccess('a', 'm1', 1);
    clock.t += 1;
    evidence.recordSuccess('a', 'm2', 2);
    clock.t += 1;
    evidence.recordSuccess('a', 'm1', 1);
    clock.t += 1;
    evidence.recordSuccess('a', 'm3', 3);
    expect(evidence.latencyMs('a', 'm2')).toBeUndefined();
    expect(evidence.latencyMs('a', 'm1')).toBe(1);
    expect(evidence.latencyMs('a', 'm3')).toBe(3);
  });
});

describe('EvidenceStore: tail latency', () => {
  it('reports p50 / p90 / p99 of recent successes once minSamples are known, and nothing when stale', () => {
    const { evidence, clock } = setup();
    evidence.recordSuccess('a', 'eth_call', 10);
    evidence.recordSuccess('a', 'eth_call', 10);
    expect(evidence.tailLatency('a', 'eth_call')).toBeUndefined();
    for (let i = 0; i < 97; i++) evidence.recordSuccess('a', 'eth_call', 10);
    evidence.recordSuccess('a', 'eth_call', 200);
    expect(evidence.tailLatency('a', 'eth_call')).toEqual({ p50: 10, p90: 10, p99: 10 });
    for (let i = 0; i < 8; i++) evidence.recordSuccess('a', 'eth_call', 200);
    expect(evidence.tailLatency('a', 'eth_call')).toEqual({ p50: 10, p90: 10, p99: 200 });
    clock.t += 10_001;
    expect(evidence.tailLatency('a', 'eth_call', 10_000)).toBeUndefined();
    expect(evidence.tailLatency('a', 'eth_call')?.p50).toBe(10);
  });
});
