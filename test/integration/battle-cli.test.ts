import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BattleResult } from '../../src/battle/result-types.js';
import { ensureBuilt, runLasso } from '../helpers/built-cli.js';
import type { CliRun } from '../helpers/built-cli.js';
import { launchChromium } from '../unit/battle/browser.js';
import type { TestBrowser } from '../unit/battle/browser.js';

/**
 * `lasso battle` through the built CLI (`node bin/lasso.mjs`), as a user runs it. `npm test`
 * builds first; when dist/ is missing or older than the sources, this file builds it.
 */
const children = new Set<ChildProcess>();
const runCli = (args: string[], timeoutMs: number): Promise<CliRun> => runLasso(['battle', ...args], timeoutMs, children);

describe('lasso battle (built CLI)', () => {
  let out: string;
  let browser: TestBrowser | undefined;
  let smoke: CliRun | undefined;

  beforeAll(async () => {
    ensureBuilt();
    out = await mkdtemp(join(tmpdir(), 'battle-cli-'));
  }, 300_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.pid === undefined) continue;
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM'); // the CLI tears its devnet down on SIGTERM
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    await browser?.close();
    await rm(out, { recursive: true, force: true });
  });

  it('--scenario smoke --duration 10s writes JSON, Markdown and HTML and exits 0', async () => {
    const dir = join(out, 'smoke');
    smoke = await runCli(['--scenario', 'smoke', '--duration', '10s', '--out', dir], 45_000);
    expect(smoke.code, smoke.stderr + smoke.stdout).toBe(0);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(3);
    expect(files.map((f) => f.replace(/^\d{8}-\d{6}Z-/, ''))).toEqual(['smoke.html', 'smoke.json', 'smoke.md']);
    const result = JSON.parse(await readFile(join(dir, files[1]!), 'utf8')) as BattleResult;
    expect(result).toMatchObject({ schema: 'lasso.battle-result', schemaVersion: 1, verdict: { passed: true, exitCode: 0 } });
    expect(result.lasso.totals.requests).toBe(500);
    expect(result.slos.length).toBeGreaterThanOrEqual(8);
    expect(result.faults.episodes).toHaveLength(1);
    expect(result.subscriptions.subscribers).toBe(3);
    // progress lines while running, summary at the end
    expect(smoke.stderr).toMatch(/\[lasso\]\s+\d+\.\d s \/ 10\.0 s\s+requests\s+\d+\s+ok/);
    expect(smoke.stdout).toContain('Battle smoke: PASS (exit 0)');
    expect(smoke.stdout).toContain(join(dir, files[2]!));
    const md = await readFile(join(dir, files[2]!), 'utf8');
    expect(md).toContain('## SLOs');
    expect(md).toContain('## Chaos timeline');
  });

  it('the smoke HTML report renders its charts in chromium', async () => {
    expect(smoke?.code).toBe(0);
    const dir = join(out, 'smoke');
    const html = (await readdir(dir)).find((f) => f.endsWith('.html'))!;
    browser = await launchChromium();
    const { charts, consoleErrors, requests } = await browser.check(join(dir, html));
    expect(consoleErrors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(charts.map((c) => c.id)).toEqual(['chart-latency', 'chart-success', 'chart-share', 'chart-subscriptions', 'chart-breakers']);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.drawnWithSize, c.id).toBeGreaterThan(0);
    }
  });

  it('an impossible SLO (p50 <= 0 ms) makes it exit 1, with the reports still written', async () => {
    const file = join(out, 'impossible.yaml');
    await writeFile(file, 'name: impossible\nduration: 3s\nproviders: 2\nworkload: { rate: 20/s }\nslos:\n  successRatio: 99%\n  p50: 0ms\n');
    const dir = join(out, 'impossible');
    const smokeJson = (await readdir(join(out, 'smoke'))).find((f) => f.endsWith('.json'));
    const baseline = smokeJson ? ['--baseline', join(out, 'smoke', smokeJson)] : [];
    const run = await runCli(['--file', file, '--out', dir, '--quiet', ...baseline], 30_000);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('Battle impossible: FAIL (exit 1)');
    expect(run.stdout).toMatch(/HTTP latency p50\s+≤ 0 ms\s+\S+ ms\s+FAIL/);
    const json = (await readdir(dir)).find((f) => f.endsWith('.json'))!;
    const result = JSON.parse(await readFile(join(dir, json), 'utf8')) as BattleResult;
    expect(result.verdict).toMatchObject({ passed: false, exitCode: 1 });
    expect(result.verdict.failed[0]).toBe('p50Ms');
    if (smokeJson) expect(result.baseline).toMatchObject({ scenario: 'smoke', note: 'baseline is scenario "smoke", this run is "impossible"' });
    expect(run.stderr).not.toContain('[lasso]'); // --quiet
  });

  it('a bad scenario file exits 2 with every problem named by its path', async () => {
    const file = join(out, 'bad.yaml');
    await writeFile(file, 'duration: soon\nworkload: { rate: -5 }\nchaos:\n  - { at: 1s, action: explode, target: node-0 }\nextra: 1\n');
    const run = await runCli(['--file', file, '--out', join(out, 'bad')], 15_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: invalid scenario file ${file}:`);
    expect(run.stderr).toContain('  - duration: invalid duration "soon"');
    expect(run.stderr).toContain('  - workload.rate: ');
    expect(run.stderr).toContain('  - chaos.0.action: ');
    expect(run.stderr).toContain('  - (root): Unrecognized key: "extra"');
    expect(existsSync(join(out, 'bad'))).toBe(false);
  });

  it('usage errors exit 2', async () => {
    const unknown = await runCli(['--scenario', 'nope'], 15_000);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown scenario "nope"; built-in scenarios: smoke, flapping, partition, rate-limited, soak, tail');
    const flag = await runCli(['--bogus'], 15_000);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--bogus'/);
  });
});
