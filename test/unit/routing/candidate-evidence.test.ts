import { describe, expect, it } from 'vitest';
import { candidateEvidence, PROBE_METHOD } from '../../../src/routing/candidate-evidence.js';
import { EvidenceStore } from '../../../src/routing/index.js';

const facts = (id: string, inFlight = 0) => ({ id, inFlight, capacity: 8, lagBlocks: 0 });

describe('candidateEvidence', () => {
  it("uses a candidate's fresh samples of the method, else its probe latency plus the method's cost seen on another candidate", () => {
    const clock = { t: 0 };
    const store = new EvidenceStore({ now: () => clock.t });
    for (let i = 0; i < 10; i++) {
      store.recordSuccess('near', PROBE_METHOD, 5);
      store.recordSuccess('far', PROBE_METHOD, 25);
      store.recordSuccess('near', 'eth_getLogs', 45);
    }
    const [near, far, unknown] = candidateEvidence(store, 'eth_getLogs', [facts('near'), facts('far'), facts('unknown')]);
    expect(near?.latency).toEqual({ p50: 45, p90: 45, p99: 45 });
    expect(far?.latency).toEqual({ p50: 65, p90: 65, p99: 65 });
    expect(unknown?.latency).toBeUndefined();
    expect(near).toMatchObject({ errorRate: 0, inFlight: 0, capacity: 8, lagBlocks: 0 });

    // The method's own samples go stale after 10 s without traffic: probes speak for the provider again.
    clock.t += 11_000;
    store.recordSuccess('near', PROBE_METHOD, 5);
    expect(candidateEvidence(store, 'eth_getLogs', [facts('near')])[0]?.latency).toEqual({ p50: 5, p90: 5, p99: 5 });
  });

  it('reports failures as an error rate, and passes in-flight attempts and pool size on', () => {
    const store = new EvidenceStore();
    store.recordSuccess('a', 'eth_call', 10);
    store.recordFailure('a', 'eth_call');
    expect(candidateEvidence(store, 'eth_call', [facts('a', 3)])[0]).toMatchObject({ errorRate: 0.5, inFlight: 3, capacity: 8 });
  });

  it('counts failures only since the provider last recovered (its breaker closed)', () => {
    const clock = { t: 0 };
    const store = new EvidenceStore({ now: () => clock.t });
    for (let i = 0; i < 10; i++) store.recordFailure('a', PROBE_METHOD);
    clock.t += 5_000;
    store.recordSuccess('a', PROBE_METHOD, 5);
    expect(candidateEvidence(store, PROBE_METHOD, [facts('a')])[0]?.errorRate).toBeCloseTo(10 / 11, 10);
    expect(candidateEvidence(store, PROBE_METHOD, [{ ...facts('a'), recoveredAt: clock.t }])[0]?.errorRate).toBe(0);
  });
});
