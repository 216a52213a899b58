import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BattleResult } from '../../src/battle/result-types.js';
import { ensureBuilt, runLasso } from '../helpers/built-cli.js';

/** A soak through the built CLI: Lasso must run, and be sampled, in a process of its own. */
const children = new Set<ChildProcess>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('soak samples Lasso in its own process', () => {
  let out: string;

  beforeAll(async () => {
    ensureBuilt();
    out = await mkdtemp(join(tmpdir(), 'battle-soak-'));
  }, 300_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.pid === undefined) continue;
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM'); // the CLI tears its devnet and its Lasso child down on SIGTERM
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    await rm(out, { recursive: true, force: true });
  });

  it('samples come from the Lasso child (RSS, fds, sockets to the proxies, WebSocket state), which is gone afterwards', async () => {
    const file = join(out, 'tiny-soak.yaml');
    await writeFile(
      file,
      'name: tiny-soak\nduration: 5s\nproviders: 2\nworkload: { rate: 20/s }\nsubscriptions:\n  - { kind: newHeads, count: 2 }\nsoak: { interval: 500ms, warmup: 0s }\n',
    );
    const dir = join(out, 'soak');
    const running = runLasso(['battle', '--file', file, '--out', dir, '--quiet'], 60_000, children);
    const cliPid = [...children][0]!.pid!;
    const run = await running;
    expect(run.code, run.stderr).not.toBe(2);
    const json = (await readdir(dir)).find((f) => f.endsWith('.json'))!;
    const result = JSON.parse(await readFile(join(dir, json), 'utf8')) as BattleResult;
    const soak = result.soak!;
    expect(soak.lassoPid).not.toBe(cliPid);
    expect(alive(soak.lassoPid)).toBe(false);
    expect(soak.samples.length).toBeGreaterThanOrEqual(6);
    for (const s of soak.samples) {
      expect(s.rssMb).toBeGreaterThan(0);
      expect(s.heapUsedMb).toBeGreaterThan(0);
      expect(s.fds).toBeGreaterThan(0);
      expect(s.upstreamSockets).toBeGreaterThan(0);
      expect(s.eventLoopLagMs).toBeGreaterThanOrEqual(0);
    }
    // Client connections are counted apart: while both subscribers are connected, at least their two.
    // (The first sample may come before they connect, the last after the workload let go of its pool.)
    expect(Math.max(...soak.samples.map((s) => s.clientSockets ?? 0))).toBeGreaterThanOrEqual(2);
    expect(soak.samples.at(-1)).toMatchObject({ wsConnections: 2, subscriptions: 2 });
    // The rest of the battle still reads Lasso: breakers and metrics through its HTTP API.
    expect(result.lasso.totals.requests).toBe(100);
    expect(result.metricsAccuracy?.length).toBeGreaterThan(0);
  }, 90_000);
});
