import { request } from 'undici';
import { keccak256 } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LassoInstance } from '../../src/app.js';
import { startStaticUpstream } from '../../src/chaos/index.js';
import { STRATEGY_NAMES } from '../../src/routing/index.js';
import type { StaticUpstream } from '../../src/chaos/index.js';
import { CapturedLog, closedPort, startLassoWith } from '../helpers/lasso-with.js';
import { getText, rpc } from '../helpers/rpc.js';

async function getJsonWithStatus(url: string): Promise<{ status: number; body: any }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.json() };
}

describe('a chain whose only provider refuses connections', () => {
  const log = new CapturedLog();
  let lasso: LassoInstance;
  const probeIntervalMs = 2000;
  let startedAt: number;
  beforeAll(async () => {
    startedAt = Date.now();
    lasso = await startLassoWith([{ id: 'dead', url: `http://127.0.0.1:${await closedPort()}/v2/s3cret-key` }], log, { headPollIntervalMs: probeIntervalMs });
  });
  afterAll(async () => lasso?.close());

  it('is probed without any client request: a warning within one probe interval, and /health 503 down', async () => {
    const warning = await log.waitFor((l) => l.msg === 'provider unreachable', probeIntervalMs - (Date.now() - startedAt));
    expect(warning).toMatchObject({ level: 40, chain: 'test', provider: 'dead', cause: 'connection refused', endpoint: expect.stringMatching(/\/v2\/\*\*\*$/) });
    const health = await getJsonWithStatus(`${lasso.url}/health`);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({
      status: 'down',
      reasons: ['test: no provider can serve', 'test: provider dead unreachable (connection refused)'],
      chains: [{ name: 'test', availableProviders: 0, totalProviders: 1 }],
    });
    expect(await getText(`${lasso.url}/metrics`)).not.toMatch(/^lasso_requests_total\{/m);
    expect(log.lines.filter((l) => l.msg === 'provider unreachable')).toHaveLength(1);
    expect(JSON.stringify(log.lines)).not.toContain('s3cret-key');
  });

  it('answers with the provider id and the cause in error.data, and logs a failure, not a failover, under the request id the client got', async () => {
    const res = await rpc(`${lasso.url}/rpc/test`, 'eth_getBalance', ['0x0000000000000000000000000000000000000001', 'latest']);
    expect(res.body.error.code).toBe(-32000);
    expect(res.body.error.data).toMatchObject({ provider: 'dead', cause: 'connection refused' });
    expect(res.body.error.message).toContain('dead: connection refused');
    expect(JSON.stringify(res.body)).not.toContain('s3cret-key');
    const failure = await log.waitFor((l) => l.msg === 'request failed: no provider left to try' && l.method === 'eth_getBalance', 2000);
    expect(failure).toMatchObject({ level: 40, provider: 'dead', cause: 'connection refused', requestId: res.headers['x-lasso-request-id'] });
    expect(log.lines.filter((l) => l.msg === 'failover')).toEqual([]);
  });

  it('names the valid strategies when the URL has an unknown one', async () => {
    const res = await rpc(`${lasso.url}/rpc/quickest/test`, 'eth_blockNumber');
    expect(res.body.error.message).toBe(`unknown strategy "quickest"; valid: ${STRATEGY_NAMES.join(', ')}`);
    expect(STRATEGY_NAMES).toContain('fastest');
  });
});

describe('a raw transaction whose provider took the bytes and never answered', () => {
  const log = new CapturedLog();
  let upstream: StaticUpstream;
  let lasso: LassoInstance;
  beforeAll(async () => {
    upstream = await startStaticUpstream({ handler: (req) => (req.method === 'eth_sendRawTransaction' ? { hang: true } : undefined) });
    lasso = await startLassoWith([{ id: 'slow', url: upstream.url }, { id: 'spare', url: upstream.url }], log, { methodTimeoutsMs: { eth_sendRawTransaction: 200 } });
  });
  afterAll(async () => {
    await lasso?.close();
    await upstream?.close();
  });

  it('says it may have been broadcast, gives the hash to look it up by, and is not sent twice', async () => {
    const raw = '0x02f86c827a6980843b9aca00847735940082520894000000000000000000000000000000000000000180c001a0';
    const res = await rpc(`${lasso.url}/rpc/priority/test`, 'eth_sendRawTransaction', [raw]);
    expect(res.body.error.message).toMatch(/may have been broadcast; look it up by hash/);
    expect(res.body.error.data).toMatchObject({ provider: 'slow', cause: 'timed out after 200 ms', transactionHash: keccak256(raw) });
    expect(res.headers['x-lasso-attempts']).toBe('1');
  });
});
