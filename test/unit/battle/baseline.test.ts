import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBaseline, compareWithBaseline, loadBaseline, regressionLimit } from '../../../src/battle/baseline.js';
import { BaselineError } from '../../../src/battle/errors.js';
import type { BattleResult } from '../../../src/battle/result-types.js';
import { syntheticResult } from './fixture.js';

function variant(edit: (r: BattleResult) => void): BattleResult {
  const r = structuredClone(syntheticResult());
  edit(r);
  return r;
}

describe('baseline comparison', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('finds no regression against itself', () => {
    const r = syntheticResult();
    const c = compareWithBaseline(r, r, 'same.json', 0.1);
    expect(c.regressions).toEqual([]);
    expect(c.metrics.map((m) => m.metric)).toEqual(expect.arrayContaining(['successRatio', 'p50Ms', 'p95Ms', 'p99Ms', 'failoverMs', 'breakerOpenMs', 'wsDeliveryRatio']));
  });

  it('flags latency beyond the tolerance, but not noise of a couple of ms', () => {
    const base = syntheticResult();
    const slower = variant((r) => {
      r.lasso.totals.latencyMs.p99 = base.lasso.totals.latencyMs.p99 * 1.5;
      r.lasso.totals.latencyMs.p50 = base.lasso.totals.latencyMs.p50 * 1.15; // +1.4 ms: under the 2 ms floor
    });
    expect(compareWithBaseline(slower, base, 'b.json', 0.1).regressions).toEqual(['p99Ms']);
  });

  it('flags a success ratio whose failure share grew, and a failover that no longer settles', () => {
    const base = syntheticResult();
    const worse = variant((r) => {
      r.lasso.totals.answeredRatio = 0.98;
      r.faults.episodes[0]!.failoverMs = null;
    });
    expect(compareWithBaseline(worse, base, 'b.json', 0.1).regressions).toEqual(['successRatio', 'failoverMs']);
  });

  it('notes a baseline from another scenario', () => {
    const other = variant((r) => {
      r.scenario.name = 'other';
    });
    expect(compareWithBaseline(syntheticResult(), other, 'b.json', 0.1).note).toMatch(/baseline is scenario "other"/);
  });

  it('loads only battle results of this schema version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'battle-baseline-'));
    dirs.push(dir);
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify(syntheticResult()));
    expect((await loadBaseline(good)).scenario.name).toBe('synthetic');
    const wrong = join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ schema: 'lasso.scenario-result', schemaVersion: 1 }));
    await expect(loadBaseline(wrong)).rejects.toThrow(BaselineError);
    await expect(loadBaseline(join(dir, 'missing.json'))).rejects.toThrow(/cannot read baseline .*ENOENT/);
  });
});

describe('baseline of several runs (run-to-run spread)', () => {
  /** Two back-to-back 20 s smoke runs of one commit: p99 12.5 and 15.0 ms, breaker recovery 1274 and 2465 ms. */
  const run = (p99: number, p95: number, recoveryMs: number, extraMs = 0) =>
    variant((r) => {
      const l = r.lasso.totals.latencyMs;
      l.p50 += extraMs;
      l.p95 = p95 + extraMs;
      l.p99 = p99 + extraMs;
      r.scenario.slos.recoveryMs = 15_000;
      r.faults.episodes[0]!.recoveryMs = recoveryMs;
      r.faults.episodes[0]!.recovery = 'closed';
    });

  it('the same commit passes against itself, even against a single earlier run', () => {
    const baseline = buildBaseline([run(12.5, 10.9, 1274), run(13.4, 11.2, 1800)]);
    expect(compareWithBaseline(run(15.0, 11.5, 2465), baseline, 'b.json', 0.1).regressions).toEqual([]);
    expect(compareWithBaseline(run(15.0, 11.5, 2465), run(12.5, 10.9, 1274), 'one.json', 0.1).regressions).toEqual([]);
  });

  it('a build slowed by 25 ms per request is caught; a recovery within its SLO is not', () => {
    const baseline = buildBaseline([run(12.5, 10.9, 1274), run(15.0, 11.5, 2465), run(13.1, 11.0, 1500)]);
    const c = compareWithBaseline(run(13.0, 11.0, 9000, 25), baseline, 'b.json', 0.1);
    expect(c.regressions).toEqual(['p50Ms', 'p95Ms', 'p99Ms']);
    expect(c.runs).toBe(3);
    expect(c.metrics.find((m) => m.metric === 'recoveryMs')).toMatchObject({ limit: 15_000, regressed: false });
  });

  it('the margin grows with the measured spread', () => {
    expect(regressionLimit('ms', 'lower', [10, 10], 0.1)).toBe(15);
    expect(regressionLimit('ms', 'lower', [10, 16], 0.1)).toBe(28);
    expect(regressionLimit('ratio', 'higher', [1, 0.999], 0.1)).toBeCloseTo(0.997, 6);
    expect(() => buildBaseline([])).toThrow(/at least one run/);
  });
});
