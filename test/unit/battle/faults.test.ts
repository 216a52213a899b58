import { describe, expect, it } from 'vitest';
import { analyzeFaults } from '../../../src/battle/analysis/faults.js';
import type { ChaosEventRecord } from '../../../src/chaos/scenario/index.js';
import type { RequestRecord } from '../../../src/chaos/workload/index.js';
import { syntheticChaos, syntheticRecords, syntheticSamples } from './fixture.js';

const entries = [{ at: 20_000, action: 'partition' as const, target: 'node-1', durationMs: 10_000 }];

describe('fault episodes', () => {
  it('measures failover, breaker opening and recovery of a partition', () => {
    const { samples, changes } = syntheticSamples();
    const a = analyzeFaults({ records: syntheticRecords(), chaos: syntheticChaos, entries, samples, breakers: changes, rate: 20 });
    expect(a.cleanWindowMs).toBe(1000);
    // calm p99 is under 15 ms, so the threshold is p99 + 50 ms
    expect(a.disturbedLatencyMs).toBeGreaterThan(50);
    expect(a.disturbedLatencyMs).toBeLessThan(70);
    expect(a.episodes).toHaveLength(1);
    const e = a.episodes[0]!;
    expect(e).toMatchObject({ entry: 0, targets: ['node-1'], onsetMs: 20_000, repairMs: 30_002, breakerExpected: true, breakerOpenMs: 200, recovery: 'closed' });
    // requests scheduled in [20 000, 20 150) failed after 400 ms: the last completed at 20 100 + 400
    expect(e.disturbedRequests).toBe(3);
    expect(e.failoverMs).toBe(500);
    expect(e.recoveryMs).toBeCloseTo(498, 0);
  });

  it('analyses an hour-long soak: more requests than a function call can take as arguments', () => {
    const base = syntheticRecords();
    const records = Array.from({ length: 300_000 }, (_, i): RequestRecord => ({ ...base[i % base.length]!, scheduledMs: i * 12 }));
    const a = analyzeFaults({ records, chaos: syntheticChaos, entries, samples: [], breakers: [], rate: 80 });
    expect(a.episodes).toHaveLength(1);
  });

  it('reports 0 when no request was hurt, and null when traffic never settled before the repair', () => {
    const calm = syntheticRecords().map((r): RequestRecord => ({ ...r, outcome: 'success', latencyMs: 5 }));
    const ok = analyzeFaults({ records: calm, chaos: syntheticChaos, entries, samples: [], breakers: [], rate: 20 });
    expect(ok.episodes[0]!.failoverMs).toBe(0);
    expect(ok.episodes[0]!.breakerOpenMs).toBeNull(); // no polls: client-side arm
    const broken = calm.map((r): RequestRecord => (r.scheduledMs >= 20_000 ? { ...r, outcome: 'failed' } : r));
    const bad = analyzeFaults({ records: broken, chaos: syntheticChaos, entries, samples: [], breakers: [], rate: 20 });
    expect(bad.episodes[0]!.failoverMs).toBeNull();
  });

  it('a short fault: one hurt request then clean traffic settles; slow requests after the repair are not its doing', () => {
    const chaos: ChaosEventRecord[] = [
      { entry: 0, action: 'partition', phase: 'start', targets: ['node-1'], label: 'p', plannedAtMs: 20_000, atMs: 20_000, doneMs: 20_000 },
      { entry: 0, action: 'partition', phase: 'end', targets: ['node-1'], label: 'p', plannedAtMs: 20_500, atMs: 20_500, doneMs: 20_500 },
    ];
    const records = syntheticRecords().map((r): RequestRecord => {
      if (r.scheduledMs === 20_100) return { ...r, outcome: 'failed', latencyMs: 30 };
      if (r.scheduledMs === 20_600) return { ...r, outcome: 'success', latencyMs: 900 }; // after the repair
      return { ...r, outcome: 'success', latencyMs: 5 };
    });
    const short = analyzeFaults({ records, chaos, entries, samples: [], breakers: [], rate: 20 });
    expect(short.episodes[0]).toMatchObject({ disturbedRequests: 1, failoverMs: 130 });
    // every request until the repair hurt: the fault ended before any failover
    const allHurt = records.map((r): RequestRecord => (r.scheduledMs >= 20_000 && r.scheduledMs < 20_500 ? { ...r, outcome: 'failed' } : r));
    expect(analyzeFaults({ records: allHurt, chaos, entries, samples: [], breakers: [], rate: 20 }).episodes[0]!.failoverMs).toBeNull();
    // hurt until just before the repair, then one lucky fast request: still the repair that ended it
    const lucky = records.map((r): RequestRecord => (r.scheduledMs >= 20_000 && r.scheduledMs < 20_450 ? { ...r, outcome: 'failed' } : r));
    expect(analyzeFaults({ records: lucky, chaos, entries, samples: [], breakers: [], rate: 20 }).episodes[0]!.failoverMs).toBeNull();
  });

  it('pairs flap downs with ups, kills with restarts, and knows which faults should open a breaker', () => {
    const ev = (entry: number, action: ChaosEventRecord['action'], phase: ChaosEventRecord['phase'], atMs: number, targets = ['node-0']): ChaosEventRecord => ({ entry, action, phase, targets, label: `${action}`, plannedAtMs: atMs, atMs, doneMs: atMs + 5 });
    const chaos = [
      ev(0, 'flap', 'down', 1000),
      ev(0, 'flap', 'up', 2000),
      ev(0, 'flap', 'down', 3000),
      ev(0, 'flap', 'up', 4000),
      ev(1, 'kill', 'apply', 5000, ['node-1']),
      ev(2, 'restart', 'apply', 7000, ['node-1']),
      ev(3, 'fault', 'start', 8000),
      ev(3, 'fault', 'end', 9000),
    ];
    const a = analyzeFaults({
      records: syntheticRecords(),
      chaos,
      entries: [
        { at: 1000, action: 'flap', target: 'node-0', durationMs: 4000, downMs: 1000 },
        { at: 5000, action: 'kill', target: 'node-1' },
        { at: 7000, action: 'restart', target: 'node-1' },
        { at: 8000, action: 'fault', target: 'node-0', durationMs: 1000, fault: { type: 'http_status', status: 429 } },
      ],
      samples: [],
      breakers: [],
      rate: 20,
    });
    expect(a.episodes.map((e) => [e.action, e.onsetMs, e.repairMs, e.breakerExpected])).toEqual([
      ['flap', 1000, 2005],
      ['flap', 3000, 4005],
      ['kill', 5000, 7005],
      ['fault', 8000, 9005],
    ].map(([a1, b, c], i) => [a1, b, c, i < 3]));
  });

  it('expects a breaker to open only on a provider that requests kept reaching', () => {
    const { samples, changes } = syntheticSamples();
    // The synthetic partition (20 s to 30 s) fails requests scheduled in [20 000, 20 150): 3 of them.
    const analyse = (attempts: (r: RequestRecord) => number) =>
      analyzeFaults({ records: syntheticRecords().map((r) => ({ ...r, attempts: attempts(r) })), chaos: syntheticChaos, entries, samples, breakers: changes, rate: 20 }).episodes[0]!
        .breakerExpected;
    const during = (r: RequestRecord) => r.scheduledMs >= 20_000 && r.scheduledMs < 30_000;
    expect(analyse((r) => (during(r) ? 2 : 1))).toBe(true);
    // Routing moved away after two failed attempts: no breaker had a reason to open.
    let failedOver = 0;
    expect(analyse((r) => (during(r) && failedOver++ < 2 ? 2 : 1))).toBe(false);
  });
});
