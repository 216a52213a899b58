import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadBaseline } from '../../src/battle/baseline.js';
import { builtInScenarios } from '../../src/battle/scenarios.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; steps: Step[]; strategy?: { matrix: { include: Record<string, string>[] } } }>;
}

const load = async (name: string) => parse(await readFile(join(ROOT, '.github/workflows', name), 'utf8')) as Workflow;
const runs = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? [s.run] : [])));

describe('GitHub workflows', () => {
  it('ci: every pull request and push runs npm ci then npm test, with Chromium, Redis and promtool installed', async () => {
    const ci = await load('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    const steps = runs(ci);
    expect(steps.indexOf('npm ci')).toBeGreaterThan(-1);
    expect(steps.indexOf('npm test')).toBeGreaterThan(steps.indexOf('npm ci'));
    expect(steps.join('\n')).toMatch(/apt-get install -y --no-install-recommends chromium redis-server prometheus/);
    expect(Object.values(ci.jobs).every((j) => j.steps[0]?.uses?.startsWith('actions/checkout@'))).toBe(true);
  });

  it('nightly: scheduled flapping and soak battles against committed baselines, reports uploaded even on failure', async () => {
    const nightly = await load('nightly.yml');
    expect(nightly.on).toHaveProperty('schedule');
    const job = Object.values(nightly.jobs)[0]!;
    const matrix = job.strategy!.matrix.include;
    expect(matrix.map((m) => m.scenario).sort()).toEqual(['flapping', 'soak']);
    const builtIns = builtInScenarios().map((s) => s.name);
    for (const m of matrix) {
      expect(builtIns).toContain(m.scenario);
      const file = /^--baseline (\S+)$/.exec(m.baseline ?? '')?.[1];
      expect(file && existsSync(join(ROOT, file)), m.baseline).toBe(true);
      expect((await loadBaseline(join(ROOT, file!))).scenario.name).toBe(m.scenario);
    }
    const battle = job.steps.find((s) => s.run?.includes('lasso.mjs battle'))!;
    expect(battle.run).toContain('${{ matrix.baseline }}');
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toBe('always()');
    expect(upload.with?.path).toBe('battle-results/${{ matrix.scenario }}');
  });
});
