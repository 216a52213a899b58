import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, runLasso } from '../helpers/built-cli.js';

/** The CLI as a user runs it (`node bin/lasso.mjs`), for the mistakes a new user makes first. */
describe('lasso CLI', () => {
  const children = new Set<ChildProcess>();
  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  const lasso = (...args: string[]) => runLasso(args, 20_000, children);

  it.each([
    [['start', '--help'], /^Usage: lasso start \[options\][\s\S]*--config FILE[\s\S]*--port PORT[\s\S]*--log-level/],
    [['start', '-h'], /^Usage: lasso start /],
    [['devnet', '--help'], /^Usage: lasso devnet \[options\][\s\S]*chainId 1337[\s\S]*--nodes N[\s\S]*--block-time D/],
    [['devnet', '-h'], /^Usage: lasso devnet /],
    [['check-config', '--help'], /^Usage: lasso check-config FILE/],
    [['battle', '--help'], /^Usage: lasso battle /],
    [['--help'], /^Usage: lasso <command>[\s\S]*check-config/],
  ])('lasso %j prints its own usage and exits 0', async (args, usage) => {
    const run = await lasso(...args);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(usage);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await lasso('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('an unknown option says so and points to the command help (exit 2)', async () => {
    const run = await lasso('start', '--prot', '4001');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown option '--prot'.*lasso start --help/);
  });

  describe('with the port already taken', () => {
    let holder: Server;
    let port: number;
    beforeAll(async () => {
      holder = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      port = (holder.address() as { port: number }).port;
    });
    afterAll(async () => new Promise<void>((resolve) => holder.close(() => resolve())));

    it('lasso start refuses before any devnet starts and says what to do', async () => {
      const run = await lasso('start', '--port', String(port));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 is already in use: another Lasso may already be running there`);
      expect(run.stderr).toContain('--port');
      expect(run.stderr).not.toMatch(/devnet: chain id|anvil/);
    });

    it('lasso devnet refuses a taken node port the same way', async () => {
      const run = await lasso('devnet', '--nodes', '1', '--port', String(port));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    });
  });
});
