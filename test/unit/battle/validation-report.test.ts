import { describe, expect, it } from 'vitest';
import { renderValidationReport } from '../../../src/battle/validation-report.js';
import type { BattleResult } from '../../../src/battle/result-types.js';
import { syntheticResult } from './fixture.js';

function flapping30(edit: (r: BattleResult) => void = () => undefined): BattleResult {
  const r = structuredClone(syntheticResult());
  r.id = '20250101-000000Z-flapping';
  r.scenario.name = 'flapping';
  r.scenario.durationMs = 30 * 60_000;
  r.options.compare = false;
  delete r.comparison;
  r.lasso.totals.answeredRatio = 0.9995;
  r.lasso.totals.latencyMs.p95 = 150;
  edit(r);
  return r;
}

describe('validation report', () => {
  it('says what evidence is missing when nothing is committed', () => {
    const md = renderValidationReport({ battles: [], scenarios: [] });
    expect(md).toContain('No battle result is committed yet');
    expect(md).toContain('30-minute `flapping` run: **not committed yet**');
    expect(md).toContain('`--compare` run: **not committed yet**');
    expect(md).toContain('## Known limits');
  });

  it('checks the 30-minute flapping run against the issue bar and lists the comparison', () => {
    const md = renderValidationReport({ battles: [{ file: 'docs/results/a.json', result: flapping30() }, { file: 'docs/results/b.json', result: syntheticResult() }], scenarios: [] });
    expect(md).toContain('30-minute `flapping` run (20250101-000000Z-flapping): **meets** the bar');
    expect(md).toContain('`--compare` run 20250101-000000Z-synthetic-compare (synthetic): Made up.');
    expect(md).toContain('[20250101-000000Z-flapping](results/a.json)');
    expect(md).toMatch(/\| Lasso \| 1200 \|/);
    const slow = renderValidationReport({ battles: [{ file: 'docs/results/a.json', result: flapping30((r) => (r.lasso.totals.latencyMs.p95 = 250)) }], scenarios: [] });
    expect(slow).toContain('**does not meet** the bar');
  });

  it('flags runs made from uncommitted changes as not reproducible', () => {
    const clean = flapping30((r) => (r.generator = { name: 'lasso battle', version: '1.0.0', commit: 'abc123def456', clean: true }));
    const dirty = structuredClone(syntheticResult());
    dirty.generator = { name: 'lasso battle', version: '1.0.0', commit: 'aeb47e542638-dirty' };
    const md = renderValidationReport({ battles: [{ file: 'docs/results/a.json', result: clean }, { file: 'docs/results/b.json', result: dirty }], scenarios: [] });
    expect(md).toContain('| `abc123def456` |');
    expect(md).toContain('| **aeb47e542638-dirty: not reproducible** |');
    expect(md).toContain(`**Not reproducible**: ${dirty.id} was made from a tree with uncommitted changes`);
    expect(md).toContain('(aeb47e542638-dirty) — **not reproducible**: made from uncommitted changes');
    const allClean = renderValidationReport({ battles: [{ file: 'docs/results/a.json', result: clean }], scenarios: [] });
    expect(allClean).toContain('Every run above was made from a clean commit');
    expect(allClean).not.toContain('not reproducible');
  });

  it('is deterministic', () => {
    const sources = { battles: [{ file: 'docs/results/b.json', result: syntheticResult() }], scenarios: [] };
    expect(renderValidationReport(sources)).toBe(renderValidationReport(sources));
  });
});
