import { describe, expect, it } from 'vitest';
import { renderValidationReport } from '../../../src/battle/validation-report.js';
import type { CapacityResult } from '../../../src/battle/capacity.js';
import type { BattleResult } from '../../../src/battle/result-types.js';
import { syntheticResult } from './fixture.js';

/** A synthetic run of a built-in scenario, without a comparison. */
function run(name: string, minutes: number): BattleResult {
  const r = structuredClone(syntheticResult());
  r.id = `20250101-000000Z-${name}`;
  r.scenario.name = name;
  r.scenario.durationMs = minutes * 60_000;
  r.options.compare = false;
  delete r.comparison;
  return r;
}

function flapping30(edit: (r: BattleResult) => void = () => undefined): BattleResult {
  const r = run('flapping', 30);
  r.lasso.totals.answeredRatio = 0.9995;
  r.lasso.totals.latencyMs.p95 = 150;
  edit(r);
  return r;
}

describe('validation report', () => {
  it('says what evidence is missing when nothing is committed', () => {
    const md = renderValidationReport({ battles: [], scenarios: [] });
    expect(md).toContain('No battle result is committed yet');
    expect(md).toContain('30-minute `flapping` runs: **not committed yet**');
    expect(md).toContain('Soak of at least 60 minutes: **not committed yet**');
    expect(md).toContain('no capacity run is committed');
    expect(md).toContain('`--compare` run: **not committed yet**');
    expect(md).toContain('## Known limits');
  });

  it('checks the 30-minute flapping run against the issue bar and lists the comparison', () => {
    const md = renderValidationReport({ battles: [{ file: 'docs/results/a.json', result: flapping30() }, { file: 'docs/results/b.json', result: syntheticResult() }], scenarios: [] });
    expect(md).toContain('30-minute `flapping` runs: 1 of 1 (1 seed) meet the bar');
    expect(md).toContain('20250101-000000Z-flapping (seed 1): **meets** the bar');
    expect(md).toContain('`--compare` run 20250101-000000Z-synthetic-compare (synthetic): Made up.');
    expect(md).toContain('[20250101-000000Z-flapping](results/a.json)');
    expect(md).toMatch(/\| Lasso \| 1200 \|/);
    const slow = renderValidationReport({ battles: [{ file: 'docs/results/a.json', result: flapping30((r) => (r.lasso.totals.latencyMs.p95 = 250)) }], scenarios: [] });
    expect(slow).toContain('**does not meet** the bar');
  });

  it('summarises every 30-minute flapping run, the soak leak verdict and the capacity run', () => {
    const runs = [1, 2, 3].map((seed) =>
      flapping30((r) => {
        r.id = `2025010${seed}-000000Z-flapping`;
        r.scenario.seed = seed;
        if (seed === 2) r.lasso.totals.answeredRatio = 0.99;
      }),
    );
    const soak = run('soak', 62);
    soak.id = '20250104-000000Z-soak';
    const growth = { first: 80, last: 81, growth: 1, slopePerHour: 0.5, projected48h: 24, max48h: 64, passed: true };
    soak.soak = { intervalMs: 10_000, warmupMs: 60_000, lassoPid: 1, samples: [], tooShort: false, growth: [{ resource: 'rssMb', ...growth }, { resource: 'fds', ...growth, passed: false }] };
    const step = { durationMs: 20_000, requests: 1, answeredRatio: 1, latencyMs: syntheticResult().lasso.totals.latencyMs, errors: {}, lassoCpu: 0.9, loadCpu: 0.5, failures: [] };
    const capacity: CapacityResult = {
      schema: 'lasso.capacity-result',
      schemaVersion: 1,
      generator: { name: 'lasso battle', version: '1.0.0', commit: 'abc123def456', clean: true },
      startedAt: '2025-01-05T00:00:00Z',
      finishedAt: '2025-01-05T00:10:00Z',
      environment: { ...soak.environment, loadAverage: { start: [0], end: [0] } },
      pinning: { lasso: '0', load: '1' },
      setup: { providers: 3, mix: {}, blockTimeMs: 1000, stepMs: 20_000, seed: 1 },
      slo: { answeredRatio: 0.999, p99Ms: 250 },
      steps: [{ ...step, rate: 1000, throughput: 998, passed: true }, { ...step, rate: 2000, throughput: 1500, passed: false }],
      maxRateAtSlo: 1000,
      maxThroughputAtSlo: 998,
      limitedBy: 'lasso',
    };
    const md = renderValidationReport({
      battles: [...runs.map((result, i) => ({ file: `docs/results/f${i}.json`, result })), { file: 'docs/results/soak.json', result: soak }],
      scenarios: [],
      capacity: [{ file: 'docs/results/c.json', result: capacity }],
    });
    expect(md).toContain('30-minute `flapping` runs: 2 of 3 (3 seeds) meet the bar');
    expect(md).toContain('20250102-000000Z-flapping (seed 2): **does not meet** the bar');
    expect(md).toContain('Soak 20250104-000000Z-soak: 62 m');
    expect(md).toContain('leak verdict **growth in fds**');
    expect(md).toContain('no 48-hour run was made');
    expect(md).toMatch(/\| rssMb \| 80\.0 \| 81\.0 \| 0\.500 \| 24\.0 \| 64\.0 \| pass \|/);
    expect(md).toContain("**998 req/s** served at an offered 1000 req/s of the read mix, Lasso pinned to CPU 0, load and devnet on CPU 1");
    expect(md).toContain("limited by Lasso's core");
  });

  it("puts the WebSocket fan-out in the known limits next to the plain ws server's", () => {
    const fanOut = [
      { mode: 'bare', subscribers: 10_000, p99Ms: 383.7, ownP50Ms: 320 },
      { mode: 'front', subscribers: 10_000, p99Ms: 331.4, ownP50Ms: 291.6 },
      { mode: 'engine', subscribers: 10_000, p99Ms: 369.6, ownP50Ms: 328.5 },
    ];
    const md = renderValidationReport({ battles: [], scenarios: [], wsFanOut: { file: 'docs/results/bench-ws.json', data: { bench: 'ws', generator: { commit: 'abc123' }, fanOut } } });
    const limits = md.slice(md.indexOf('## Known limits'));
    expect(limits).toContain('10,000 subscribers p99 370 ms (a plain `ws` broadcast server: 384 ms)');
    expect(limits).toContain('commit `abc123`');
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
