import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLasso } from '../../src/app.js';
import type { LassoInstance } from '../../src/app.js';
import { FaultProxy } from '../../src/chaos/index.js';
import type { FaultHandle } from '../../src/chaos/index.js';
import { lassoConfigSchema } from '../../src/config/index.js';
import { Devnet } from '../../src/devnet/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { getJson, getText, metricValue, rpc } from '../helpers/rpc.js';
import { waitFor } from '../helpers/wait.js';

const LAST_BLOCK = 1199;
const WHOLE = [{ fromBlock: '0x0', toBlock: `0x${LAST_BLOCK.toString(16)}` }];
/** Providers in front of one node, each capping eth_getLogs ranges as a real vendor does, with its error text. */
const CAPS = [
  { id: 'p100', maxBlocks: 100, vendor: 'quicknode' },
  { id: 'p250', maxBlocks: 250, vendor: 'alchemy_range' },
  { id: 'p500', maxBlocks: 500, vendor: 'bsc' },
] as const;

describe('eth_getLogs over providers that cap ranges at 100 / 250 / 500 blocks', () => {
  let devnet: Devnet;
  const proxies = new Map<string, FaultProxy>();
  const caps = new Map<string, FaultHandle>();
  const lassos: LassoInstance[] = [];
  /** What an uncapped node answers for the whole chain. */
  let expected: unknown[];

  async function startLassoOverProxies(getLogs: Record<string, unknown> = {}): Promise<LassoInstance> {
    const config = lassoConfigSchema.parse({
      server: { host: '127.0.0.1', port: 0 },
      logging: { level: process.env.LASSO_TEST_LOG ?? 'silent' },
      chains: {
        devnet: {
          chainId: devnet.chainId,
          headPollIntervalMs: 100,
          getLogs,
          providers: CAPS.map((c) => ({ id: c.id, url: (proxies.get(c.id) as FaultProxy).httpUrl })),
        },
      },
    });
    const lasso = await startLasso({ config, logger: createLogger(config.logging.level), processMetrics: false });
    lassos.push(lasso);
    await waitFor(async () => (await getJson(`${lasso.url}/api/chains`)).chains[0]?.head === LAST_BLOCK, { timeoutMs: 10_000, what: 'the chain view to see the head' });
    return lasso;
  }

  const metric = async (lasso: LassoInstance, name: string, labels: Record<string, string> = {}): Promise<number> => metricValue(await getText(`${lasso.url}/metrics`), name, labels);

  beforeAll(async () => {
    devnet = await Devnet.start({ nodes: 1, blockTimeMs: 0, txPerBlock: 0 });
    // Logs on both sides of every boundary a cut can fall on (multiples of 25), empty blocks between: seconds to mine.
    while (devnet.canonical.head() < LAST_BLOCK) {
      const next = devnet.canonical.head() + 1;
      await devnet.mineBlock({ txs: next % 25 === 0 || next % 25 === 24 ? 2 : 0 });
    }
    const node = devnet.nodes()[0] as { httpUrl: string; wsUrl: string };
    for (const cap of CAPS) {
      const proxy = await FaultProxy.start({ target: { httpUrl: node.httpUrl, wsUrl: node.wsUrl }, seed: 7, name: cap.id });
      proxies.set(cap.id, proxy);
      caps.set(cap.id, proxy.addFault({ type: 'logs_range_cap', maxBlocks: cap.maxBlocks, vendor: cap.vendor }));
    }
    expected = (await rpc(node.httpUrl, 'eth_getLogs', WHOLE)).body.result as unknown[];
  }, 180_000);

  afterAll(async () => {
    await Promise.all(lassos.map((l) => l.close()));
    await Promise.all([...proxies.values()].map((p) => p.close()));
    await devnet?.stop();
  });

  it('answers exactly what an uncapped node does, asks nobody for more than it takes once the limits are learned, and keeps final pieces', async () => {
    expect(expected.length).toBe(190); // 2 pings in each of 95 blocks
    const lasso = await startLassoOverProxies();
    const first = await rpc(`${lasso.url}/rpc/devnet`, 'eth_getLogs', WHOLE);
    expect(first.body.error).toBeUndefined();
    expect(first.body.result).toEqual(expected);
    // The whole range was refused by each provider once; then three 500-block pieces.
    expect(CAPS.map((c) => caps.get(c.id)?.applied)).toEqual([1, 1, 1]);
    expect(await metric(lasso, 'lasso_getlogs_subrequests_total', { chain: 'devnet' })).toBe(3);
    expect(await metric(lasso, 'lasso_getlogs_splits_total', { chain: 'devnet' })).toBe(1);

    const again = await rpc(`${lasso.url}/rpc/devnet`, 'eth_getLogs', [{ ...WHOLE[0], address: (expected[0] as { address: string }).address }]);
    expect(again.body.result).toEqual(expected);
    expect(CAPS.map((c) => caps.get(c.id)?.applied)).toEqual([1, 1, 1]);
    // Pieces over final blocks are kept in the response cache: asked again, only the others go upstream.
    const finalized = await waitFor(async () => (await getJson(`${lasso.url}/api/chains`)).chains[0]?.finalized as number | null, { timeoutMs: 10_000, what: 'a finalized block' });
    const before = await metric(lasso, 'lasso_getlogs_subrequests_total', { chain: 'devnet' });
    expect((await rpc(`${lasso.url}/rpc/devnet`, 'eth_getLogs', WHOLE)).body.result).toEqual(expected);
    const unfinalPieces = finalized >= LAST_BLOCK ? 0 : [499, 999, 1199].filter((to) => to > finalized).length;
    expect(await metric(lasso, 'lasso_getlogs_subrequests_total', { chain: 'devnet' })).toBe(before + unfinalPieces);
    // Another range over the same final pieces (anvil finalizes all but the last 64 blocks): served from them.
    expect(finalized).toBeGreaterThanOrEqual(999);
    const firstThousand = await rpc(`${lasso.url}/rpc/devnet`, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x3e7' }]);
    expect(firstThousand.body.result).toEqual(expected.filter((l) => Number((l as { blockNumber: string }).blockNumber) <= 999));
    expect(await metric(lasso, 'lasso_getlogs_subrequests_total', { chain: 'devnet' })).toBe(before + unfinalPieces);
    // A range every provider takes goes out whole.
    const small = await rpc(`${lasso.url}/rpc/devnet`, 'eth_getLogs', [{ fromBlock: '0x18', toBlock: '0x31' }]);
    expect(small.body.result).toEqual(expected.filter((l) => Number((l as { blockNumber: string }).blockNumber) >= 0x18 && Number((l as { blockNumber: string }).blockNumber) <= 0x31));
    expect(await metric(lasso, 'lasso_getlogs_subrequests_total', { chain: 'devnet' })).toBe(6 + unfinalPieces);
  }, 60_000);

  it('refuses a merged answer over getLogs.maxResponseBytes with an error naming the cap and the range', async () => {
    const lasso = await startLassoOverProxies({ maxResponseBytes: 20_000 });
    const res = await rpc(`${lasso.url}/rpc/devnet`, 'eth_getLogs', WHOLE);
    expect(res.body.result).toBeUndefined();
    expect(res.body.error).toMatchObject({
      code: -32000,
      data: { limit: 'getLogs.maxResponseBytes', limitBytes: 20_000, fromBlock: '0x0', toBlock: '0x4af' },
    });
    expect(res.body.error.message).toContain('getLogs.maxResponseBytes (20000 bytes)');
    expect(res.body.error.message).toContain('blocks 0..1199');
    expect(await metric(lasso, 'lasso_getlogs_refusals_total', { chain: 'devnet', reason: 'max_response_bytes' })).toBe(1);
    // Other requests are unaffected.
    expect((await rpc(`${lasso.url}/rpc/devnet`, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x63' }])).body.result).toEqual(
      expected.filter((l) => Number((l as { blockNumber: string }).blockNumber) <= 0x63),
    );
  }, 60_000);

  it('still answers exactly when the widest provider goes down mid-request', async () => {
    const lasso = await startLassoOverProxies({ concurrency: 1 });
    const p500 = proxies.get('p500') as FaultProxy;
    p500.addFault({ type: 'latency', ms: 800, methods: ['eth_getLogs'] });
    const answer = rpc(`${lasso.url}/rpc/devnet`, 'eth_getLogs', WHOLE);
    // Down once it served its first piece, while the next is in flight.
    await waitFor(async () => (await metric(lasso, 'lasso_upstream_attempts_total', { provider: 'p500', method: 'eth_getLogs', result: 'success' })) >= 1, {
      timeoutMs: 20_000,
      what: 'p500 to serve a piece',
    });
    p500.addFault({ type: 'refuse' });
    const res = await answer;
    expect(res.body.error).toBeUndefined();
    expect(res.body.result).toEqual(expected);
    // The pieces p500 did not serve were cut to what the others take.
    const served = async (provider: string): Promise<number> => metric(lasso, 'lasso_upstream_attempts_total', { provider, method: 'eth_getLogs', result: 'success' });
    expect(await served('p500')).toBeLessThan(3);
    expect((await served('p250')) + (await served('p100'))).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
