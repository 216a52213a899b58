/**
 * Two Lasso replicas with one real redis-server: a key's limit holds across both, and when Redis
 * is killed mid-run they keep serving on local limits, say so in /health, and share again once it
 * is back.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLasso } from '../../../src/app.js';
import type { LassoInstance } from '../../../src/app.js';
import { lassoConfigSchema } from '../../../src/config/index.js';
import { Devnet } from '../../../src/devnet/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { RedisServer } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait.js';

const KEY = 'replica-key-0123456789';
const STEADY_KEY = 'steady-key-0123456789';

let devnet: Devnet;
let redis: RedisServer;
const replicas: LassoInstance[] = [];

beforeAll(async () => {
  devnet = await Devnet.start({ nodes: 1, blockTimeMs: 0 });
  redis = await RedisServer.start();
  const config = lassoConfigSchema.parse({
    server: {
      host: '127.0.0.1',
      port: 0,
      auth: {
        keys: [
          { id: 'steady', key: STEADY_KEY, rateLimit: { requestsPerSecond: 20, burst: 20 } },
          { id: 'bursty', key: KEY, rateLimit: { requestsPerSecond: 1, burst: 20 } },
        ],
      },
    },
    logging: { level: process.env.LASSO_TEST_LOG ?? 'silent' },
    sharedState: { redis: { url: redis.url, keyPrefix: `lasso-test-${process.pid}:` } },
    chains: { devnet: { chainId: devnet.chainId, providers: devnet.nodes().map((n) => ({ id: n.id, url: n.httpUrl })) } },
  });
  for (let i = 0; i < 2; i++) replicas.push(await startLasso({ config, logger: createLogger(config.logging.level), processMetrics: false }));
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await redis?.kill();
  await devnet?.stop();
});

async function call(replica: LassoInstance, key: string, items = 1): Promise<{ status: number; refused: number }> {
  const payload = Array.from({ length: items }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'eth_chainId' }));
  const res = await request(`${replica.url}/rpc/devnet`, { method: 'POST', headers: { 'x-lasso-key': key }, body: JSON.stringify(items === 1 ? payload[0] : payload) });
  const body = (await res.body.json()) as unknown;
  const answers = Array.isArray(body) ? body : [body];
  return { status: res.statusCode, refused: answers.filter((a: any) => a.error?.code === -32005).length };
}

async function health(replica: LassoInstance): Promise<{ status: number; body: any }> {
  const res = await request(`${replica.url}/health`);
  return { status: res.statusCode, body: await res.body.json() };
}

describe('replicas sharing one Redis', () => {
  it('hold a 20 req/s key to about 20 req/s in total', async () => {
    // Open loop: one request every 10 ms, alternating replicas (100 req/s offered), for four 1 s windows.
    const windows = 4;
    const started = Date.now();
    const pending: Array<Promise<{ status: number }>> = [];
    let n = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (Date.now() - started >= windows * 1000 - 50) {
          clearInterval(timer);
          resolve();
          return;
        }
        pending.push(call(replicas[n++ % 2] as LassoInstance, STEADY_KEY));
      }, 10);
    });
    const results = await Promise.all(pending);
    const served = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429).length;
    expect(served + refused).toBe(results.length);
    // One replica alone would serve 80; two unshared replicas 160.
    expect(served).toBeGreaterThanOrEqual(80 * 0.85);
    expect(served).toBeLessThanOrEqual(80 * 1.15);
  });

  it('keep serving with local limits while Redis is down, report it in /health, and share again once it is back', async () => {
    const [a, b] = replicas as [LassoInstance, LassoInstance];
    expect((await health(a)).body.status).toBe('ok');

    await redis.kill();
    await waitFor(async () => (await health(a)).body.status === 'degraded', { timeoutMs: 5000, what: 'replica A to report Redis unreachable' });
    const down = await health(b);
    expect(down.status).toBe(200);
    expect(down.body.reasons.join(' ')).toMatch(/redis unreachable/i);
    // Local limits: the burst spent on A does not count on B.
    expect((await call(a, KEY, 20)).refused).toBe(0);
    expect((await call(b, KEY, 3)).refused).toBe(0);

    await redis.restart();
    for (const r of replicas) await waitFor(async () => (await health(r)).body.status === 'ok', { timeoutMs: 10_000, what: 'health ok after Redis returns' });
    // Shared again: the burst spent on A leaves B (nearly) nothing; at most one item of a new second passes.
    expect((await call(a, KEY, 20)).refused).toBe(0);
    expect((await call(b, KEY, 3)).refused).toBeGreaterThanOrEqual(2);
  });
});
