/**
 * Config reload on a running Lasso: keys and limits change through `POST /api/admin/reload`, an
 * invalid file is refused with every problem listed and the running config kept, and the CLI
 * reloads on SIGHUP.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLasso } from '../../../src/app.js';
import type { LassoInstance } from '../../../src/app.js';
import { loadConfigFile } from '../../../src/config/index.js';
import { Devnet } from '../../../src/devnet/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { waitFor } from '../../helpers/wait.js';

const ADMIN = 'admin-key-0123456789';
let devnet: Devnet;
let dir: string;
let file: string;
let lasso: LassoInstance;

function configText(keys: Array<{ id: string; key: string; rps?: number }>, extra = ''): string {
  return `
server:
  host: 127.0.0.1
  port: 0
  auth:
    adminKey: ${ADMIN}
    keys:
${keys.map((k) => `      - { id: ${k.id}, key: ${k.key}${k.rps ? `, rateLimit: { requestsPerSecond: ${k.rps} }` : ''} }`).join('\n')}
logging: { level: silent }
chains:
  devnet:
    chainId: ${devnet.chainId}
    providers:
${devnet
  .nodes()
  .map((n) => `      - { id: ${n.id}, url: "${n.httpUrl}" }`)
  .join('\n')}
${extra}`;
}

async function status(key: string, base = lasso.url): Promise<number> {
  const res = await request(`${base}/rpc/devnet`, { method: 'POST', headers: { 'x-lasso-key': key }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' });
  await res.body.dump();
  return res.statusCode;
}

async function reload(): Promise<{ status: number; body: any }> {
  const res = await request(`${lasso.url}/api/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.statusCode, body: await res.body.json() };
}

beforeAll(async () => {
  devnet = await Devnet.start({ nodes: 1, blockTimeMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'lasso-reload-'));
  file = join(dir, 'lasso.yaml');
  writeFileSync(file, configText([{ id: 'old', key: 'old-key-0123456789' }]));
  const config = await loadConfigFile(file);
  lasso = await startLasso({ config, logger: createLogger('silent'), processMetrics: false, loadConfig: () => loadConfigFile(file) });
}, 60_000);

afterAll(async () => {
  await lasso?.close();
  await devnet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('config reload', () => {
  it('applies changed keys and limits through POST /api/admin/reload (admin key required)', async () => {
    expect(await status('old-key-0123456789')).toBe(200);
    const ws = new WebSocket(`${lasso.url.replace('http', 'ws')}/ws/rpc/devnet?key=old-key-0123456789`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    writeFileSync(file, configText([{ id: 'new', key: 'new-key-0123456789', rps: 1 }]));
    const refused = await request(`${lasso.url}/api/admin/reload`, { method: 'POST' });
    await refused.body.dump();
    expect(refused.statusCode).toBe(401);

    const result = await reload();
    expect(result.status).toBe(200);
    expect(result.body.ok).toBe(true);
    expect(await status('old-key-0123456789')).toBe(401);
    expect(await status('new-key-0123456789')).toBe(200);
    expect(await status('new-key-0123456789')).toBe(429);
    // A WebSocket opened with the removed key is refused from its next request on.
    const answer = await new Promise<any>((resolve) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.send('{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}');
    });
    expect(answer.error.message).toContain('no longer accepted');
    ws.close();
  });

  it('refuses an invalid file with every problem listed and keeps the running config', async () => {
    writeFileSync(file, configText([{ id: 'bad', key: 'short' }], 'unknownSection: 1\n'));
    const result = await reload();
    expect(result.status).toBe(422);
    const paths = result.body.problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['server.auth.keys[0].key', 'unknownSection']));
    expect(JSON.stringify(result.body)).not.toContain('short');
    expect(await status('new-key-0123456789', lasso.url)).not.toBe(401);
  });

  it('reloads on SIGHUP when run from the CLI', async () => {
    const cliDir = mkdtempSync(join(tmpdir(), 'lasso-sighup-'));
    const cliFile = join(cliDir, 'lasso.yaml');
    writeFileSync(cliFile, configText([{ id: 'first', key: 'first-key-0123456789' }]));
    const child = spawn(process.execPath, ['bin/lasso.mjs', 'start', '--config', cliFile], { cwd: new URL('../../../', import.meta.url), stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Generous: a cold CLI start on a busy two-core machine takes a while.
      const base = await waitFor(() => /lasso listening on (http:\/\/\S+)/.exec(stderr)?.[1], { timeoutMs: 45_000, what: 'the CLI to listen' }).catch((err: Error) => {
        throw new Error(`${err.message}; stderr: ${stderr.slice(-1000)}`);
      });
      expect(await status('first-key-0123456789', base)).toBe(200);
      writeFileSync(cliFile, configText([{ id: 'second', key: 'second-key-0123456789' }]));
      process.kill(child.pid as number, 'SIGHUP');
      await waitFor(() => stderr.includes('SIGHUP: config reloaded'), { timeoutMs: 10_000, what: 'the reload message' });
      expect(await status('second-key-0123456789', base)).toBe(200);
      expect(await status('first-key-0123456789', base)).toBe(401);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) process.kill(child.pid as number, 'SIGKILL');
      await exited;
      rmSync(cliDir, { recursive: true, force: true });
    }
  });
});
