/**
 * Providers added and removed by a config reload while HTTP load runs and a WebSocket client holds
 * a newHeads subscription: no request fails, and the subscription keeps delivering every block
 * after the providers it started on are gone.
 */
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
import { FAST_SUBSCRIPTION_CHAIN } from '../../helpers/cluster.js';
import { waitFor } from '../../helpers/wait.js';

let devnet: Devnet;
let dir: string;
let file: string;
let lasso: LassoInstance;

function writeConfig(nodeIds: string[]): void {
  const providers = devnet.nodes().filter((n) => nodeIds.includes(n.id));
  writeFileSync(
    file,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      logging: { level: 'silent' },
      chains: { devnet: { chainId: devnet.chainId, headPollIntervalMs: 100, ...FAST_SUBSCRIPTION_CHAIN, providers: providers.map((n) => ({ id: n.id, url: n.httpUrl, wsUrl: n.wsUrl })) } },
    }),
  );
}

beforeAll(async () => {
  devnet = await Devnet.start({ nodes: 3, blockTimeMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'lasso-reload-providers-'));
  file = join(dir, 'lasso.json.yaml');
  writeConfig(['node-0', 'node-1']);
  lasso = await startLasso({ config: await loadConfigFile(file), logger: createLogger('silent'), processMetrics: false, loadConfig: () => loadConfigFile(file) });
}, 60_000);

afterAll(async () => {
  devnet?.stopMining();
  await lasso?.close();
  await devnet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function reload(): Promise<any> {
  const res = await request(`${lasso.url}/api/admin/reload`, { method: 'POST' });
  expect(res.statusCode).toBe(200);
  return res.body.json();
}

describe('reload under load', () => {
  it('adds and removes providers with 0 failed requests and 0 dropped subscriptions', async () => {
    const ws = new WebSocket(`${lasso.url.replace('http', 'ws')}/ws/rpc/devnet`);
    const heads: number[] = [];
    const problems: string[] = [];
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.method === 'eth_subscription') heads.push(Number(msg.params.result.number));
      else if (msg.error) problems.push(JSON.stringify(msg.error));
    });
    ws.on('close', () => problems.push('socket closed'));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    devnet.startMining(150);
    await waitFor(() => heads.length >= 3, { timeoutMs: 10_000, what: 'first heads' });

    // Closed-loop HTTP load: 4 clients, each sending the next request when the last one answered.
    let running = true;
    let served = 0;
    const failures: string[] = [];
    const client = async (): Promise<void> => {
      while (running) {
        const res = await request(`${lasso.url}/rpc/devnet`, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["latest",false]}' });
        const body = (await res.body.json()) as { result?: unknown; error?: unknown };
        if (res.statusCode !== 200 || body.error !== undefined || body.result == null) failures.push(`${res.statusCode} ${JSON.stringify(body.error)}`);
        else served++;
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);

    await waitFor(() => served >= 50, { timeoutMs: 10_000, what: 'load before the reload' });
    writeConfig(['node-0', 'node-1', 'node-2']);
    expect((await reload()).changes).toContain('devnet: providers added node-2');
    const afterAdd = served;
    await waitFor(() => served >= afterAdd + 50, { timeoutMs: 10_000, what: 'load after adding node-2' });

    writeConfig(['node-2']);
    expect((await reload()).changes).toContain('devnet: providers removed node-0, node-1');
    const afterRemove = served;
    const headsAtRemove = heads.length;
    await waitFor(() => served >= afterRemove + 100 && heads.length >= headsAtRemove + 5, { timeoutMs: 15_000, what: 'load and heads after removing node-0 and node-1' });
    running = false;
    await load;

    devnet.stopMining();
    const last = (await devnet.mineBlock()).number;
    await waitFor(() => heads.at(-1) === last, { timeoutMs: 10_000, what: `the subscription to deliver block ${last}` });
    ws.close();

    expect(failures).toEqual([]);
    expect(problems).toEqual([]);
    // Every block from the first delivered to the last, once each, in order.
    const first = heads[0] as number;
    expect(heads).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
    expect(lasso.chains.resolve('devnet')?.providers.map((p) => p.id)).toEqual(['node-2']);
  });
});
