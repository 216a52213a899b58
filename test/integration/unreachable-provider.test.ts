import { keccak256 } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LassoInstance } from '../../src/app.js';
import { startStaticUpstream } from '../../src/chaos/index.js';
import type { StaticUpstream } from '../../src/chaos/index.js';
import { CapturedLog, closedPort, startLassoWith } from '../helpers/lasso-with.js';
import { rpc } from '../helpers/rpc.js';

describe('a chain whose only provider refuses connections', () => {
  const log = new CapturedLog();
  let lasso: LassoInstance;
  let deadUrl: string;
  beforeAll(async () => {
    deadUrl = `http://127.0.0.1:${await closedPort()}/secret-key-123`;
    lasso = await startLassoWith([{ id: 'dead', url: deadUrl }], log, { headPollIntervalMs: 100 });
  });
  afterAll(async () => lasso?.close());

  it('answers with the provider id and the cause in error.data, and logs a failure, not a failover', async () => {
    const res = await rpc(`${lasso.url}/rpc/test`, 'eth_getBalance', ['0x0000000000000000000000000000000000000001', 'latest']);
    expect(res.body.error.code).toBe(-32000);
    expect(res.body.error.data).toMatchObject({ provider: 'dead', cause: 'connection refused' });
    expect(res.body.error.message).toContain('dead: connection refused');
    expect(JSON.stringify(res.body)).not.toContain('secret-key-123');
    const failure = await log.waitFor((l) => l.msg === 'request failed: no provider left to try' && l.method === 'eth_getBalance', 2000);
    expect(failure).toMatchObject({ level: 40, provider: 'dead', cause: 'connection refused' });
    expect(log.lines.filter((l) => l.msg === 'failover')).toEqual([]);
  });

  it('names the valid strategies when the URL has an unknown one', async () => {
    const res = await rpc(`${lasso.url}/rpc/quickest/test`, 'eth_blockNumber');
    expect(res.body.error.message).toBe('unknown strategy "quickest"; valid: fastest, latency-weighted, load-balanced, round-robin, priority');
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
