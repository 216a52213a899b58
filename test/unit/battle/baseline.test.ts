import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareWithBaseline, loadBaseline } from '../../../src/battle/baseline.js';
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
    expect(c.metrics.map((m) => m.metric)).toEqual(expect.arrayContaining(['successRatio', 'p50Ms', 'p95Ms', 'p99Ms', 'failoverMs', 'breakerOpenMs', 'recoveryMs', 'wsDeliveryRatio']));
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
