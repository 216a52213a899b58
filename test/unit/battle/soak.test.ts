import { describe, expect, it } from 'vitest';
import { analyzeSoak, theilSen } from '../../../src/battle/soak.js';
import type { SoakSample } from '../../../src/battle/soak.js';
import { evaluateSlos } from '../../../src/battle/slo.js';

const HOUR = 3_600_000;
/** An hour of samples every 10 s; `fdsPerHour` of file-descriptor growth, heap noisy with GC spikes. */
const hour = (fdsPerHour: number): SoakSample[] =>
  Array.from({ length: 360 }, (_, i) => ({
    tMs: i * 10_000,
    heapUsedMb: 60 + (i % 17 === 0 ? 30 : 0),
    rssMb: 150,
    handles: 40,
    sockets: 12,
    subscriptions: 15,
    upstreamSubscriptions: 2,
    eventLoopLagMs: 12 + (i % 3),
    fds: 80 + Math.floor(((i * 10_000) / HOUR) * fdsPerHour),
    upstreamSockets: 6,
    wsConnections: 15,
  }));

describe('soak leak verdict (48-hour projection)', () => {
  it('a flat run with GC spikes passes every resource; a slow fd leak fails on its projection alone', () => {
    const flat = analyzeSoak(hour(0), { warmupMs: 60_000 }, HOUR, 4242);
    expect(flat.growth.map((g) => g.resource)).toEqual(['heapMb', 'rssMb', 'eventLoopLagMs', 'handles', 'fds', 'sockets', 'upstreamSockets', 'wsConnections', 'subscriptions']);
    expect(flat.growth.every((g) => g.passed)).toBe(true);

    // 8 fds an hour: a small step within the run, 384 over 48 hours (bound 256).
    const leak = analyzeSoak(hour(8), { warmupMs: 60_000 }, HOUR, 4242);
    const fds = leak.growth.find((g) => g.resource === 'fds')!;
    expect(fds.projected48h).toBeGreaterThan(256);
    expect(fds.passed).toBe(false);
    const slos = evaluateSlos({}, { totals: { requests: 0, answeredRatio: 1, latencyMs: { p50: 0, p95: 0, p99: 0 } }, subscriptions: {} as never, faults: { disturbedLatencyMs: 0, cleanWindowMs: 0, episodes: [] }, soak: leak });
    expect(slos.filter((s) => !s.passed).map((s) => s.id)).toEqual(['soak.fds.48h']);
  });

  it('the robust slope ignores a few outliers that tilt a least-squares fit', () => {
    const points: [number, number][] = Array.from({ length: 100 }, (_, i) => [i, i === 99 ? 1000 : 5]);
    expect(theilSen(points)).toBe(0);
  });
});
