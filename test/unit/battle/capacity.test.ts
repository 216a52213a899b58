import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPACITY_SLO, capacityMarkdown, capacityVerdict, judgeStep } from '../../../src/battle/capacity.js';
import type { CapacityResult } from '../../../src/battle/capacity.js';

const step = (rate: number, p99: number, answeredRatio = 1, lassoCpu = 0.5) =>
  judgeStep(
    { rate, durationMs: 20_000, requests: rate * 20, throughput: rate, answeredRatio, errors: answeredRatio < 1 ? { 'failure:client_timeout': 3 } : {}, latencyMs: { count: rate * 20, mean: 5, p50: 5, p90: p99, p95: p99, p99, p999: p99, max: p99 }, lassoCpu, loadCpu: 0.4 },
    DEFAULT_CAPACITY_SLO,
  );

describe('capacity ramp verdict', () => {
  it('the best passing rate before a confirmed failure, limited by Lasso when its core was busy', () => {
    const steps = [step(1000, 20), step(2000, 300, 1, 0.7), { ...step(2000, 40), retry: true }, step(3000, 400, 0.99, 0.97), { ...step(3000, 500, 1, 0.98), retry: true }];
    expect(steps.map((s) => s.passed)).toEqual([true, false, true, false, false]);
    expect(steps[3]!.failures.join('; ')).toMatch(/answered 99\.000% < 99\.900% \(3 x failure:client_timeout\); p99 400\.0 ms > 250 ms/);
    expect(capacityVerdict(steps)).toEqual({ maxRateAtSlo: 2000, maxThroughputAtSlo: 2000, limitedBy: 'lasso' });
    expect(capacityVerdict([step(500, 10)])).toMatchObject({ maxRateAtSlo: 500, limitedBy: 'not reached' });
    expect(capacityVerdict([step(500, 900, 1, 0.3), { ...step(500, 900, 1, 0.3), retry: true }])).toMatchObject({ maxRateAtSlo: 0, limitedBy: 'load side' });
  });

  it('renders the steps as Markdown', () => {
    const steps = [step(1000, 20), step(2000, 300), { ...step(2000, 300), retry: true }];
    const r = { generator: { name: 'lasso battle', version: '0' }, startedAt: 'now', environment: { cpus: 2, cpuModel: 'x', node: 'v20', loadAverage: { start: [1, 1, 1], end: [1, 1, 1] } }, pinning: { lasso: '0', load: '1' }, slo: DEFAULT_CAPACITY_SLO, setup: { providers: 3, mix: { eth_blockNumber: 70 }, blockTimeMs: 1000, stepMs: 20_000, seed: 1 }, steps, ...capacityVerdict(steps) } as unknown as CapacityResult;
    const md = capacityMarkdown(r);
    expect(md).toContain('# Capacity: 1000 req/s at SLO');
    expect(md).toContain('| 2000 (retry) |');
  });
});
