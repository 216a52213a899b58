import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CircuitBreaker } from '../../../src/resilience/index.js';
import type { BreakerFailureKind, BreakerOptions, BreakerPermit, BreakerTransition } from '../../../src/resilience/index.js';

/** Breaker on a manual clock; random 0.5 means "no jitter" (factor 1). */
function setup(options: BreakerOptions = {}) {
  const clock = { t: 1_000_000 };
  const transitions: BreakerTransition[] = [];
  const breaker = new CircuitBreaker({
    now: () => clock.t,
    random: () => 0.5,
    onTransition: (t) => transitions.push(t),
    ...options,
  });
  const acquire = (): BreakerPermit => {
    const p = breaker.tryAcquire();
    if (p === null) throw new Error('not admitted');
    return p;
  };
  const fail = (kind: BreakerFailureKind, n = 1) => {
    for (let i = 0; i < n; i++) breaker.recordFailure(acquire(), kind);
  };
  return { clock, breaker, transitions, acquire, fail };
}

describe('CircuitBreaker: closed → open', () => {
  it.each([
    ['timeout', 2],
    ['network', 3],
    ['other', 5],
  ] as const)('opens after %s x%i consecutive failures', (kind, n) => {
    const { breaker, fail, transitions } = setup();
    expect(breaker.recoveredAt).toBeUndefined();
    fail(kind, n - 1);
    expect(breaker.state).toBe('closed');
    fail(kind, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBeNull();
    expect(transitions).toEqual([{ from: 'closed', to: 'open', reason: `consecutive_${kind}` }]);
  });

  it('a success resets every counter', () => {
    const { breaker, fail, acquire } = setup();
    fail('timeout');
    fail('network', 2);
    fail('other', 4);
    breaker.recordSuccess(acquire());
    expect(breaker.snapshot().consecutiveFailures).toEqual({ timeout: 0, network: 0, other: 0 });
    fail('timeout');
    fail('network', 2);
    fail('other', 4);
    expect(breaker.state).toBe('closed');
  });

  it('counts kinds separately: other failures do not reset the timeout count', () => {
    const { breaker, fail } = setup();
    fail('timeout');
    fail('other', 3);
    fail('network', 2);
    expect(breaker.state).toBe('closed');
    fail('timeout');
    expect(breaker.state).toBe('open');
  });

  it('honours configured thresholds', () => {
    const { breaker, fail } = setup({ timeoutThreshold: 4 });
    fail('timeout', 3);
    expect(breaker.state).toBe('closed');
    fail('timeout');
    expect(breaker.state).toBe('open');
  });

  it('rejects invalid options', () => {
    expect(() => new CircuitBreaker({ timeoutThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ recoveryMs: -1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ jitterRatio: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ successesToClose: 1.5 })).toThrow(RangeError);
  });
});

describe('CircuitBreaker: recovery and half-open', () => {
  it('moves to half-open lazily once the recovery time elapsed', () => {
    const { breaker, clock, fail, transitions } = setup();
    fail('timeout', 2);
    expect(breaker.openedAt).toBe(clock.t);
    expect(breaker.nextProbeAt).toBe(clock.t + 10_000);
    clock.t += 9_999;
    expect(breaker.state).toBe('open');
    clock.t += 1;
    expect(transitions).toHaveLength(1); // nothing happens until someone looks
    expect(breaker.state).toBe('half_open');
    expect(transitions[1]).toEqual({ from: 'open', to: 'half_open', reason: 'recovery_elapsed' });
    expect(breaker.nextProbeAt).toBeUndefined();
  });

  it('admits one probe at a time; release frees the slot without counting', () => {
    const { breaker, clock, fail, acquire } = setup();
    fail('timeout', 2);
    clock.t += 10_000;
    const probe = acquire();
    expect(probe.probe).toBe(true);
    expect(breaker.tryAcquire()).toBeNull();
    breaker.release(probe);
    expect(breaker.state).toBe('half_open');
    expect(breaker.snapshot().halfOpenSuccesses).toBe(0);
    expect(breaker.tryAcquire()).not.toBeNull();
  });

  it('closes after 2 probe successes and resets the backoff to base', () => {
    const { breaker, clock, fail, acquire, transitions } = setup();
    fail('timeout', 2);
    clock.t += 10_000;
    breaker.recordFailure(acquire(), 'timeout'); // reopen: 20 s
    expect(breaker.nextProbeAt).toBe(clock.t + 20_000);
    clock.t += 20_000;
    breaker.recordSuccess(acquire());
    expect(breaker.state).toBe('half_open');
    breaker.recordSuccess(acquire());
    expect(breaker.state).toBe('closed');
    expect(transitions.at(-1)).toEqual({ from: 'half_open', to: 'closed', reason: 'probes_succeeded' });
    expect(breaker.recoveredAt).toBe(clock.t);
    expect(breaker.snapshot().consecutiveOpens).toBe(0);
    fail('timeout', 2);
    expect(breaker.nextProbeAt).toBe(clock.t + 10_000);
  });

  it('reopens on any probe failure with a doubled recovery, capped at the maximum', () => {
    const { breaker, clock, fail, acquire } = setup();
    fail('other', 5);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = breaker.nextProbeAt as number;
      waits.push(next - clock.t);
      clock.t = next;
      breaker.recordFailure(acquire(), 'network');
      expect(breaker.state).toBe('open');
    }
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('a failure after one probe success still reopens', () => {
    const { breaker, clock, fail, acquire } = setup();
    fail('timeout', 2);
    clock.t += 10_000;
    breaker.recordSuccess(acquire());
    breaker.recordFailure(acquire(), 'other');
    expect(breaker.state).toBe('open');
  });

  it('applies ±jitter from the injected random source', () => {
    for (const [r, expected] of [
      [0, 8_000],
      [0.25, 9_000],
      [0.75, 11_000],
    ] as const) {
      const { breaker, clock, fail } = setup({ random: () => r });
      fail('timeout', 2);
      expect((breaker.nextProbeAt as number) - clock.t).toBe(expected);
    }
    const { breaker, clock, fail } = setup({ random: () => 0.999999, jitterRatio: 0.1 });
    fail('timeout', 2);
    expect((breaker.nextProbeAt as number) - clock.t).toBe(11_000);
  });

  it('a lost probe stops blocking after probeTimeoutMs, and its late result is ignored', () => {
    const { breaker, clock, fail, acquire } = setup({ probeTimeoutMs: 5_000 });
    fail('timeout', 2);
    clock.t += 10_000;
    const lost = acquire();
    clock.t += 4_999;
    expect(breaker.tryAcquire()).toBeNull();
    clock.t += 1;
    const second = acquire();
    breaker.recordFailure(lost, 'timeout'); // late: ignored
    expect(breaker.state).toBe('half_open');
    breaker.recordSuccess(second);
    breaker.recordSuccess(acquire());
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: stale permits', () => {
  it('in-flight failures after opening neither reopen nor double the backoff', () => {
    const { breaker, clock, acquire, transitions } = setup();
    const inFlight = Array.from({ length: 20 }, () => acquire());
    breaker.recordFailure(inFlight[0] as BreakerPermit, 'timeout');
    breaker.recordFailure(inFlight[1] as BreakerPermit, 'timeout');
    expect(breaker.state).toBe('open');
    const probeAt = breaker.nextProbeAt;
    for (const p of inFlight.slice(2)) breaker.recordFailure(p, 'timeout');
    expect(breaker.nextProbeAt).toBe(probeAt);
    expect(breaker.snapshot().consecutiveOpens).toBe(1);
    // Even once half-open, old permits cannot act as probes.
    clock.t += 10_000;
    expect(breaker.state).toBe('half_open');
    for (const p of inFlight.slice(2)) breaker.recordFailure(p, 'timeout');
    for (const p of inFlight.slice(2)) breaker.recordSuccess(p);
    expect(breaker.state).toBe('half_open');
    expect(transitions.map((t) => t.to)).toEqual(['open', 'half_open']);
  });

  it('ignores a second settlement of the same permit', () => {
    const { breaker, acquire } = setup();
    const p = acquire();
    breaker.recordFailure(p, 'timeout');
    breaker.recordFailure(p, 'timeout');
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures.timeout).toBe(1);
  });

  it('a stale success does not reset the counters of a new closed period', () => {
    const { breaker, clock, fail, acquire } = setup();
    const old = acquire();
    fail('timeout', 2);
    clock.t += 10_000;
    breaker.recordSuccess(acquire());
    breaker.recordSuccess(acquire());
    expect(breaker.state).toBe('closed');
    fail('timeout');
    breaker.recordSuccess(old);
    fail('timeout');
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: forceOpen, snapshot', () => {
  it('forceOpen opens from closed and half-open, and is idempotent while open', () => {
    const { breaker, clock, transitions } = setup();
    breaker.forceOpen('ws_drop');
    expect(breaker.state).toBe('open');
    const probeAt = breaker.nextProbeAt;
    breaker.forceOpen('ws_drop');
    expect(breaker.nextProbeAt).toBe(probeAt);
    clock.t += 10_000;
    expect(breaker.state).toBe('half_open');
    breaker.forceOpen('ws_drop');
    expect(breaker.nextProbeAt).toBe(clock.t + 20_000);
    expect(transitions.map((t) => t.reason)).toEqual(['forced_ws_drop', 'recovery_elapsed', 'forced_ws_drop']);
  });

  it('snapshot is plain data', () => {
    const { breaker, fail, clock } = setup();
    fail('network', 3);
    const snap = breaker.snapshot();
    expect(snap).toMatchObject({
      state: 'open',
      openedAt: clock.t,
      nextProbeAt: clock.t + 10_000,
      recoveryMs: 10_000,
      consecutiveOpens: 1,
      totalOpens: 1,
      probeInFlight: false,
      lastTransition: { from: 'closed', to: 'open', reason: 'consecutive_network', at: clock.t },
    });
    expect(JSON.parse(JSON.stringify(snap))).toMatchObject({ state: 'open' });
  });
});

describe('CircuitBreaker: invariants under random operation sequences', () => {
  type Op =
    | { op: 'acquire' }
    | { op: 'success'; pick: number }
    | { op: 'release'; pick: number }
    | { op: 'failure'; pick: number; kind: BreakerFailureKind }
    | { op: 'tick'; ms: number }
    | { op: 'force' };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.constant<Op>({ op: 'acquire' }),
    fc.record({ op: fc.constant('success' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('failure' as const), pick: fc.nat(), kind: fc.constantFrom<BreakerFailureKind>('timeout', 'network', 'other') }),
    fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 400_000 }) }),
    fc.constant<Op>({ op: 'force' }),
  );

  it('never admits while open, admits exactly one probe at a time, keeps recovery within bounds', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (ops, r) => {
        const clock = { t: 0 };
        const breaker = new CircuitBreaker({ now: () => clock.t, random: () => r, probeTimeoutMs: 1e12 });
        const held: BreakerPermit[] = [];
        for (const o of ops) {
          if (o.op === 'acquire') {
            const before = breaker.snapshot();
            const p = breaker.tryAcquire();
            if (before.state === 'open') expect(p).toBeNull();
            if (before.state === 'closed') expect(p?.probe).toBe(false);
            if (before.state === 'half_open') expect(p === null).toBe(before.probeInFlight);
            if (p !== null) held.push(p);
          } else if (o.op === 'tick') {
            clock.t += o.ms;
          } else if (o.op === 'force') {
            breaker.forceOpen('test');
          } else if (held.length > 0) {
            const [p] = held.splice(o.pick % held.length, 1) as [BreakerPermit];
            if (o.op === 'failure') breaker.recordFailure(p, o.kind);
            else if (o.op === 'success') breaker.recordSuccess(p);
            else breaker.release(p);
          }
          const snap = breaker.snapshot();
          expect(['closed', 'open', 'half_open']).toContain(snap.state);
          if (snap.state === 'open') {
            expect(snap.recoveryMs).toBeGreaterThanOrEqual(8_000);
            expect(snap.recoveryMs).toBeLessThanOrEqual(360_000);
            expect(snap.nextProbeAt).toBeGreaterThan(clock.t);
          }
          if (snap.state === 'closed') {
            expect(snap.consecutiveOpens).toBe(0);
            expect(snap.probeInFlight).toBe(false);
          }
        }
      }),
      { seed: 4242, numRuns: 300 },
    );
  });
});

describe('CircuitBreaker: last resort', () => {
  it('cuts the open period short: the first last-resort permit is the half-open probe, the rest count neither way', () => {
    const { breaker, transitions } = setup({ successesToClose: 1 });
    breaker.forceOpen('test');
    expect(breaker.tryAcquire()).toBeNull();
    const probe = breaker.acquireLastResort();
    expect(breaker.state).toBe('half_open');
    expect(transitions.at(-1)).toMatchObject({ from: 'open', to: 'half_open', reason: 'last_resort' });
    const extra = breaker.acquireLastResort();
    breaker.recordFailure(extra, 'network');
    expect(breaker.state).toBe('half_open');
    breaker.recordSuccess(probe);
    expect(breaker.state).toBe('closed');
  });

  it('a failed last-resort probe opens the breaker again', () => {
    const { breaker } = setup();
    breaker.forceOpen('test');
    breaker.recordFailure(breaker.acquireLastResort(), 'network');
    expect(breaker.state).toBe('open');
  });
});
