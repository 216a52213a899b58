/**
 * Filters emulated by Lasso on a real 3-node devnet: block and log filters polled across provider
 * kills, checked against the devnet's ground truth; viem's polling watchers; two replicas sharing
 * a real redis-server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPublicClient, http, parseAbiItem } from 'viem';
import WebSocket from 'ws';
import type { Hex } from 'viem';
import { startLasso } from '../../src/app.js';
import type { LassoInstance } from '../../src/app.js';
import { lassoConfigSchema } from '../../src/config/index.js';
import { PING_TOPIC } from '../../src/devnet/index.js';
import type { ReorgRecord } from '../../src/devnet/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { startCluster, stopMiningAndSettle } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { RedisServer } from '../helpers/redis-server.js';
import { metricValue, rpc } from '../helpers/rpc.js';
import { waitFor } from '../helpers/wait.js';

const BLOCK_MS = 200;
const POLL_MS = 300;
/** Quick breaker recovery, so a provider that came back is used again within the test. */
const CHAIN = { breaker: { recoveryMs: 200, maxRecoveryMs: 800 } };

let cluster: Cluster | undefined;
const extraLassos: LassoInstance[] = [];
let redis: RedisServer | undefined;
afterEach(async () => {
  cluster?.devnet.stopMining();
  await Promise.all(extraLassos.splice(0).map((l) => l.close()));
  await cluster?.close();
  cluster = undefined;
  await redis?.kill();
  redis = undefined;
});

/** Calls a method; the result, or throws with the JSON-RPC error. */
async function call(url: string, method: string, params: unknown[] = []): Promise<any> {
  const res = await rpc(url, method, params);
  if (res.body.error) throw Object.assign(new Error(`${method}: ${res.body.error.message}`), { rpc: res.body.error });
  return res.body.result;
}

const logId = (l: { blockHash: string | null; logIndex: string | number | null }): string => `${l.blockHash}:${Number(l.logIndex)}`;

describe('filters emulated by Lasso (real devnet)', () => {
  it('block and log filters polled every 300 ms across three provider kills deliver every canonical block hash and log exactly once', async () => {
    const c = (cluster = await startCluster({ faultProxies: true, chain: CHAIN }));
    await c.caughtUp();
    const blockFilter: string = await call(c.rpcUrl, 'eth_newBlockFilter');
    const logFilter: string = await call(c.rpcUrl, 'eth_newFilter', [{ address: c.devnet.contracts.emitter, topics: [PING_TOPIC] }]);
    expect(blockFilter).toMatch(/^0x[0-9a-f]{1,32}$/);
    expect(logFilter).not.toBe(blockFilter);
    const startHead = c.devnet.canonical.head();

    const hashes: string[] = [];
    const logs: any[] = [];
    const errors: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const [b, l] = await Promise.all([rpc(c.rpcUrl, 'eth_getFilterChanges', [blockFilter]), rpc(c.rpcUrl, 'eth_getFilterChanges', [logFilter])]);
        if (b.body.error) errors.push(b.body.error.message);
        else hashes.push(...b.body.result);
        if (l.body.error) errors.push(l.body.error.message);
        else logs.push(...l.body.result);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();

    c.devnet.startMining(BLOCK_MS);
    const ids = c.devnet.nodes().map((n) => n.id);
    const afterBlocks = async (n: number): Promise<void> => {
      const target = c.devnet.canonical.head() + n;
      await waitFor(() => c.devnet.canonical.head() >= target, { timeoutMs: 10_000, what: `block ${target}` });
    };
    // One provider down at a time, the others alive: the first and last unreachable behind their
    // proxies, the middle one's node killed and restarted.
    for (const [i, id] of ids.entries()) {
      await afterBlocks(3);
      if (i === 1) {
        await c.devnet.kill(id);
        await afterBlocks(4);
        await c.devnet.restart(id);
      } else {
        const proxy = c.proxies.get(id);
        const refuse = proxy?.addFault({ type: 'refuse' });
        await afterBlocks(4);
        if (refuse) proxy?.removeFault(refuse.id);
      }
    }
    await afterBlocks(2);
    const head = await stopMiningAndSettle(c.devnet, BLOCK_MS);
    const lastLog = c.devnet.canonical.logs(0, head).at(-1);
    await waitFor(() => hashes.at(-1) === c.devnet.canonical.block(head)?.hash && logs.some((l) => logId(l) === logId(lastLog as any)), {
      timeoutMs: 10_000,
      what: `filters to reach block ${head}`,
    });
    polling = false;
    await poller;

    expect(errors).toEqual([]);
    const first = c.devnet.canonical.findByHash(hashes[0] as Hex)?.block.number ?? -1;
    // The filter starts after the head at its creation (the view may have been a block behind the devnet).
    expect(first).toBeGreaterThanOrEqual(startHead);
    expect(first).toBeLessThanOrEqual(startHead + 1);
    expect(hashes).toEqual(c.devnet.canonical.blocks(first, head).map((b) => b.hash));
    const expectedLogs = c.devnet.canonical.logs(first, head);
    expect(expectedLogs.length).toBeGreaterThan(25);
    expect(logs.map(logId)).toEqual(expectedLogs.map(logId));
    expect(logs.every((l) => l.removed === false)).toBe(true);
    const metrics = await c.lasso.metrics.registry.metrics();
    expect(metricValue(metrics, 'lasso_filter_changes_served_total', { kind: 'blocks' })).toBe(hashes.length);
    expect(metricValue(metrics, 'lasso_filters_installed', { kind: 'logs' })).toBe(1);
  }, 60_000);

  it('a reorg: the block filter delivers the new branch, the log filter re-sends orphaned logs with removed: true', async () => {
    const c = (cluster = await startCluster({ chain: CHAIN }));
    await c.caughtUp();
    const blockFilter: string = await call(c.rpcUrl, 'eth_newBlockFilter');
    const logFilter: string = await call(c.rpcUrl, 'eth_newFilter', [{ address: c.devnet.contracts.emitter }]);
    for (let i = 0; i < 5; i++) await c.devnet.mineBlock();
    await c.caughtUp();
    const before: string[] = await call(c.rpcUrl, 'eth_getFilterChanges', [blockFilter]);
    const logsBefore: any[] = await call(c.rpcUrl, 'eth_getFilterChanges', [logFilter]);
    expect(before).toHaveLength(5);
    await c.devnet.reorg(3, { newBlocks: 4 });
    const reorg = c.devnet.canonical.reorgs().at(-1) as ReorgRecord;
    await c.caughtUp();
    const after: string[] = await call(c.rpcUrl, 'eth_getFilterChanges', [blockFilter]);
    const logsAfter: any[] = await call(c.rpcUrl, 'eth_getFilterChanges', [logFilter]);
    expect(after).toEqual(reorg.replacement.map((b) => b.hash));
    // geth's order: the orphaned logs again with removed: true, then the new branch's.
    expect(logsAfter.map((l) => [logId(l), l.removed])).toEqual([
      ...reorg.orphaned.flatMap((b) => b.logs).map((l) => [logId(l), true]),
      ...reorg.replacement.flatMap((b) => b.logs).map((l) => [logId(l), false]),
    ]);
    expect(logsBefore.length).toBeGreaterThan(0);
  }, 30_000);

  it('a log filter polled after a long pause catches up: finalized blocks in one range read, newer ones by hash', async () => {
    const c = (cluster = await startCluster({ chain: CHAIN }));
    await c.caughtUp();
    const logFilter: string = await call(c.rpcUrl, 'eth_newFilter', [{ address: c.devnet.contracts.emitter, topics: [PING_TOPIC] }]);
    const from = c.devnet.canonical.head() + 1;
    // anvil calls a block finalized 64 blocks below its head.
    for (let i = 0; i < 70; i++) await c.devnet.mineBlock({ txs: 1 });
    await c.caughtUp();
    await waitFor(() => (c.lasso.chains.resolve('devnet')?.view.finalized() ?? 0) >= from, { timeoutMs: 5_000, what: 'the chain view to see finalized blocks' });
    const head = c.devnet.canonical.head();
    const logs: any[] = await call(c.rpcUrl, 'eth_getFilterChanges', [logFilter]);
    expect(logs.map(logId)).toEqual(c.devnet.canonical.logs(from, head).map(logId));
    expect(await call(c.rpcUrl, 'eth_getFilterChanges', [logFilter])).toEqual([]);
  }, 30_000);

  it('errors as geth gives them; pending transaction filters answer an empty list; the per-client limit', async () => {
    const c = (cluster = await startCluster({ chain: CHAIN }));
    extraLassos.push(await startReplica(c, { filters: { maxPerClient: 2 } }));
    const url = `${extraLassos[0]?.url}/rpc/devnet`;
    const unknown = await rpc(url, 'eth_getFilterChanges', ['0x1234']);
    expect(unknown.body.error).toEqual({ code: -32000, message: 'filter not found' });
    expect((await rpc(url, 'eth_getFilterLogs', ['0x1234'])).body.error).toEqual({ code: -32000, message: 'filter not found' });
    expect((await rpc(url, 'eth_uninstallFilter', ['0x1234'])).body.result).toBe(false);
    expect((await rpc(url, 'eth_getFilterChanges', [])).body.error.code).toBe(-32602);
    expect((await rpc(url, 'eth_newFilter', [{ fromBlock: '0x5', toBlock: '0x1' }])).body.error.code).toBe(-32602);
    const pending: string = await call(url, 'eth_newPendingTransactionFilter');
    expect(await call(url, 'eth_getFilterChanges', [pending])).toEqual([]);
    const blocks: string = await call(url, 'eth_newBlockFilter');
    const refused = await rpc(url, 'eth_newBlockFilter');
    expect(refused.body.error).toMatchObject({ code: -32000, data: { limit: 'filters.maxPerClient', max: 2 } });
    // A log filter's full result through eth_getLogs; a block filter has none.
    expect((await rpc(url, 'eth_getFilterLogs', [blocks])).body.error.message).toBe('filter not found');
    expect(await call(url, 'eth_uninstallFilter', [blocks])).toBe(true);
    expect(await call(url, 'eth_uninstallFilter', [blocks])).toBe(false);
    const logs: string = await call(url, 'eth_newFilter', [{ fromBlock: '0x0', address: c.devnet.contracts.emitter }]);
    const all: any[] = await call(url, 'eth_getFilterLogs', [logs]);
    expect(all.map(logId)).toEqual(c.devnet.canonical.logs(0, c.devnet.canonical.head()).map(logId));
  }, 30_000);

  it('over WebSocket too: a filter created on a WebSocket connection is polled there and over HTTP', async () => {
    const c = (cluster = await startCluster({ chain: CHAIN }));
    await c.caughtUp();
    const ws = new WebSocket(c.wsUrl);
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      let nextId = 1;
      const wsCall = (method: string, params: unknown[] = []): Promise<any> => {
        const id = nextId++;
        return new Promise((resolve) => {
          const onMessage = (data: WebSocket.RawData): void => {
            const msg = JSON.parse(data.toString());
            if (msg.id !== id) return;
            ws.off('message', onMessage);
            resolve(msg);
          };
          ws.on('message', onMessage);
          ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
        });
      };
      const created = await wsCall('eth_newBlockFilter');
      expect(created.result).toMatch(/^0x[0-9a-f]+$/);
      const mined = await c.devnet.mineBlock();
      await c.caughtUp();
      expect((await wsCall('eth_getFilterChanges', [created.result])).result).toEqual([mined.hash]);
      const second = await c.devnet.mineBlock();
      await c.caughtUp();
      expect(await call(c.rpcUrl, 'eth_getFilterChanges', [created.result])).toEqual([second.hash]);
      expect((await wsCall('eth_uninstallFilter', [created.result])).result).toBe(true);
    } finally {
      ws.terminate();
    }
  }, 30_000);

  it("viem's polling watchers (watchBlocks, watchContractEvent) work over HTTP through Lasso", async () => {
    const c = (cluster = await startCluster({ chain: CHAIN }));
    await c.caughtUp();
    const client = createPublicClient({ transport: http(c.rpcUrl), pollingInterval: POLL_MS });
    const blocks: bigint[] = [];
    const events: any[] = [];
    const unwatchBlocks = client.watchBlocks({ poll: true, onBlock: (b) => void blocks.push(b.number) });
    const unwatchEvents = client.watchContractEvent({
      address: c.devnet.contracts.emitter,
      abi: [parseAbiItem('event Ping(address indexed from, uint256 value)')],
      poll: true,
      onLogs: (logs) => void events.push(...logs),
    });
    try {
      // viem installs its filter on the first poll: wait for it before mining.
      await waitFor(async () => metricValue(await c.lasso.metrics.registry.metrics(), 'lasso_filters_created_total', { kind: 'logs' }) >= 1, {
        timeoutMs: 5_000,
        what: 'viem to install its filter',
      });
      const from = c.devnet.canonical.head() + 1;
      for (let i = 0; i < 4; i++) await c.devnet.mineBlock();
      const head = c.devnet.canonical.head();
      const expected = c.devnet.canonical.logs(from, head);
      await waitFor(() => events.length >= expected.length && blocks.includes(BigInt(head)), { timeoutMs: 10_000, what: 'viem to see the new blocks and logs' });
      expect(events.map(logId)).toEqual(expected.map(logId));
    } finally {
      unwatchBlocks();
      unwatchEvents();
    }
  }, 30_000);

  it('two Lasso replicas sharing Redis: a filter created on one is answered by the other', async () => {
    redis = await RedisServer.start();
    const c = (cluster = await startCluster({ chain: CHAIN }));
    const shared = { sharedState: { redis: { url: redis.url, keyPrefix: `filters-test-${Date.now()}:` } } };
    const [a, b] = await Promise.all([startReplica(c, shared), startReplica(c, shared)]);
    extraLassos.push(a, b);
    const urlA = `${a.url}/rpc/devnet`;
    const urlB = `${b.url}/rpc/devnet`;
    await waitFor(async () => (await call(urlA, 'eth_blockNumber')) === `0x${c.devnet.canonical.head().toString(16)}`, { timeoutMs: 5_000, what: 'replica A to see the head' });
    const blockFilter: string = await call(urlA, 'eth_newBlockFilter');
    const logFilter: string = await call(urlA, 'eth_newFilter', [{ address: c.devnet.contracts.emitter }]);
    const from = c.devnet.canonical.head() + 1;
    for (let i = 0; i < 3; i++) await c.devnet.mineBlock();
    const head = c.devnet.canonical.head();
    const hashes: string[] = [];
    const logs: any[] = [];
    // Alternate replicas, as a load balancer would.
    let turn = 0;
    await waitFor(
      async () => {
        const url = turn++ % 2 === 0 ? urlB : urlA;
        hashes.push(...(await call(url, 'eth_getFilterChanges', [blockFilter])));
        logs.push(...(await call(url, 'eth_getFilterChanges', [logFilter])));
        return hashes.length >= head - from + 1;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the filters to reach the head' },
    );
    expect(hashes).toEqual(c.devnet.canonical.blocks(from, head).map((bl) => bl.hash));
    expect(logs.map(logId)).toEqual(c.devnet.canonical.logs(from, head).map(logId));
    expect(await call(urlB, 'eth_uninstallFilter', [blockFilter])).toBe(true);
    expect((await rpc(urlA, 'eth_getFilterChanges', [blockFilter])).body.error).toEqual({ code: -32000, message: 'filter not found' });
    // Redis gone: the filter methods say so; everything else keeps working.
    await redis.kill();
    expect((await rpc(urlA, 'eth_getFilterChanges', [logFilter])).body.error).toEqual({ code: -32000, message: 'eth_getFilterChanges failed: filter state unavailable; retry' });
    expect(await call(urlA, 'eth_chainId')).toBe(`0x${c.devnet.chainId.toString(16)}`);
  }, 30_000);
});

/** Another Lasso in front of the cluster's devnet nodes (direct, no proxies), with extra config. */
async function startReplica(c: Cluster, extra: Record<string, unknown>): Promise<LassoInstance> {
  const config = lassoConfigSchema.parse({
    server: { host: '127.0.0.1', port: 0 },
    logging: { level: process.env.LASSO_TEST_LOG ?? 'silent' },
    ...extra,
    chains: {
      devnet: { chainId: c.devnet.chainId, headPollIntervalMs: 100, ...CHAIN, providers: c.devnet.nodes().map((n, i) => ({ id: n.id, url: n.httpUrl, priority: i + 1 })) },
    },
  });
  return startLasso({ config, logger: createLogger(config.logging.level), processMetrics: false });
}
