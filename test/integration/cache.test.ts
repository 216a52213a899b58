/**
 * The response cache on a real devnet: final reads answered from memory (upstream calls counted at
 * the fault proxies), no orphaned block, log, receipt or balance after a reorg the chain view has
 * seen, the `x-lasso-cache` header, and final answers shared by two replicas through Redis.
 */
import { request } from 'undici';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLasso } from '../../src/app.js';
import type { LassoInstance } from '../../src/app.js';
import { lassoConfigSchema } from '../../src/config/index.js';
import type { FaultHandle } from '../../src/chaos/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/** anvil calls a block finalized 64 blocks below its head: mine well past that. */
const BLOCKS = 130;
/** Read methods the head tracker never sends: every one of these a proxy sees is a client read. */
const CLIENT_ONLY_READS = ['eth_getBlockByHash', 'eth_getTransactionByHash', 'eth_getTransactionReceipt', 'eth_getBalance', 'eth_getLogs'];

const hex = (n: number): string => `0x${n.toString(16)}`;

interface Answer {
  cache: string | undefined;
  body: { result?: any; error?: { code: number; message: string } };
}

async function rpc(url: string, method: string, params: unknown[]): Promise<Answer> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const cache = res.headers['x-lasso-cache'];
  return { cache: typeof cache === 'string' ? cache : undefined, body: (await res.body.json()) as Answer['body'] };
}

async function metricSum(lasso: LassoInstance, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await lasso.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((a, v) => a + Number(v.value), 0);
}

function finalizedOf(lasso: LassoInstance): number | undefined {
  return lasso.chains.resolve('devnet')?.view.finalized();
}

describe('response cache on the devnet', () => {
  let cluster: Cluster;
  let counters: FaultHandle[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, faultProxies: true, chain: { cache: { enabled: true } } });
    for (let i = 0; i < BLOCKS; i++) await cluster.devnet.mineBlock();
    await cluster.caughtUp(10_000);
    const head = cluster.devnet.canonical.head();
    await waitFor(() => (finalizedOf(cluster.lasso) ?? 0) >= head - 64, { timeoutMs: 10_000, what: "Lasso's chain view to learn the finalized block" });
    // A zero-delay latency rule counts the requests it matches: client reads reaching each provider.
    counters = [...cluster.proxies.values()].map((p) => p.addFault({ type: 'latency', ms: 0, methods: CLIENT_ONLY_READS, transport: 'http' }));
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
  });

  const proxiedReads = (): number => counters.reduce((sum, c) => sum + c.applied, 0);

  it('answers 100 reads of final data (blocks, transactions, receipts, balances, logs by number and by hash) with at most 5 upstream calls', async () => {
    const { devnet, rpcUrl, lasso } = cluster;
    const pinger = devnet.accounts[0]!.address;
    const reads: Array<[string, unknown[]]> = [];
    for (const n of [20, 21, 22, 23]) {
      const block = devnet.canonical.block(n)!;
      const tx = block.txHashes[0]!;
      reads.push(
        ['eth_getBlockByNumber', [hex(n), false]],
        ['eth_getBlockByHash', [block.hash, false]],
        ['eth_getTransactionByHash', [tx]],
        ['eth_getTransactionReceipt', [tx]],
        ['eth_getBalance', [pinger, hex(n)]],
      );
    }
    // Finality read through a tag: keyed by the number it means.
    reads.push(['eth_getLogs', [{ fromBlock: hex(20), toBlock: hex(25) }]], ['eth_getBalance', [pinger, 'finalized']]);
    for (const [method, params] of reads) expect((await rpc(rpcUrl, method, params)).body.result, method).toBeTruthy();

    const proxiedBefore = proxiedReads();
    const attemptsBefore = await metricSum(lasso, 'lasso_upstream_attempts_total');
    const misses: string[] = [];
    for (let i = 0; i < 100; i++) {
      const [method, params] = reads[i % reads.length]!;
      const answer = await rpc(rpcUrl, method, params);
      expect(answer.body.result, method).toBeTruthy();
      if (answer.cache !== 'hit') misses.push(method);
    }
    const upstreamCalls = proxiedReads() - proxiedBefore;
    // eth_getBlockByNumber is also the head tracker's finality poll: Lasso's own attempt count covers it.
    const pipelineAttempts = (await metricSum(lasso, 'lasso_upstream_attempts_total')) - attemptsBefore;
    expect(upstreamCalls).toBeLessThanOrEqual(5);
    expect(pipelineAttempts).toBeLessThanOrEqual(5);
    expect(misses.length).toBeLessThanOrEqual(5);
    expect(await metricSum(lasso, 'lasso_cache_hits_total', { tier: 'memory' })).toBeGreaterThanOrEqual(95);
    // The answer is the node's own: compare one with the node directly.
    const direct = await rpc(devnet.nodes()[0]!.httpUrl, 'eth_getBlockByNumber', [hex(20), false]);
    expect((await rpc(rpcUrl, 'eth_getBlockByNumber', [hex(20), false])).body.result).toEqual(direct.body.result);
  });

  it('says x-lasso-cache: hit | miss on single requests it looked up, nothing on others', async () => {
    const { rpcUrl, devnet } = cluster;
    const address = devnet.testAccount(0).address;
    expect((await rpc(rpcUrl, 'eth_getCode', [address, hex(30)])).cache).toBe('miss');
    expect((await rpc(rpcUrl, 'eth_getCode', [address, hex(30)])).cache).toBe('hit');
    expect((await rpc(rpcUrl, 'eth_getBalance', [address, 'pending'])).cache).toBeUndefined();
    expect((await rpc(rpcUrl, 'eth_gasPrice', [])).cache).toBeUndefined();
  });

  it('after a 3-block reorg the chain view has seen, no read returns an orphaned block, log, receipt or balance', async () => {
    const { devnet, rpcUrl, wsUrl, lasso } = cluster;
    // A newHeads subscription makes Lasso follow the heads, as any client's would: that is how it sees reorgs.
    const ws = new WebSocket(wsUrl);
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const subscribed = new Promise((resolve) => ws.once('message', resolve));
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
      await subscribed;
      await devnet.mineBlock();
      await cluster.caughtUp();
      const head = devnet.canonical.head();
      const heights = [head - 2, head - 1, head];
      const pinger = devnet.accounts[0]!.address;
      const orphanTxs = heights.map((n) => devnet.canonical.block(n)!.txHashes[0]!);
      const reads = (): Array<[string, unknown[]]> => [
        ...heights.flatMap((n): Array<[string, unknown[]]> => [
          ['eth_getBlockByNumber', [hex(n), false]],
          ['eth_getBalance', [pinger, hex(n)]],
          ['eth_getLogs', [{ fromBlock: hex(n), toBlock: hex(n) }]],
        ]),
        ['eth_getBlockByNumber', ['latest', false]],
        ['eth_getBalance', [pinger, 'latest']],
        ...orphanTxs.map((tx): [string, unknown[]] => ['eth_getTransactionReceipt', [tx]]),
      ];
      // Cached before the reorg (read twice: the second is a hit).
      for (const [method, params] of reads()) await rpc(rpcUrl, method, params);
      expect((await rpc(rpcUrl, 'eth_getBalance', [pinger, hex(head)])).cache).toBe('hit');

      // The view may first see the reorg above the fork point (it knows the new branch only as far
      // as the subscription walked back): the cache must not serve the old branch below it either.
      const seen = new Promise<void>((resolve) => {
        const off = lasso.events.on((e) => {
          if (e.type === 'reorg') {
            off();
            resolve();
          }
        });
      });
      await devnet.reorg(3);
      await seen;
      const node = devnet.nodes()[0]!.httpUrl;
      for (const [method, params] of reads()) {
        const got = (await rpc(rpcUrl, method, params)).body.result;
        const truth = (await rpc(node, method, params)).body.result;
        expect(got, `${method} ${JSON.stringify(params)}`).toEqual(truth);
        for (const hash of [got?.hash, got?.blockHash, ...(Array.isArray(got) ? got.map((l: { blockHash: string }) => l.blockHash) : [])]) {
          if (typeof hash === 'string') expect(devnet.canonical.isCanonical(hash as `0x${string}`), `${method} returned an orphaned block`).toBe(true);
        }
      }
      expect(await metricSum(lasso, 'lasso_cache_reorg_invalidations_total')).toBeGreaterThan(0);
    } finally {
      ws.terminate();
    }
  });

  it('shares final answers between two replicas through Redis (read through one, a hit on the other), and caches in memory while Redis is away', async () => {
    const redis = await RedisServer.start();
    const replicas: LassoInstance[] = [];
    try {
      const config = lassoConfigSchema.parse({
        server: { host: '127.0.0.1', port: 0 },
        logging: { level: process.env.LASSO_TEST_LOG ?? 'silent' },
        sharedState: { redis: { url: redis.url, keyPrefix: `lasso-cache-test-${process.pid}:` } },
        chains: { devnet: { chainId: cluster.devnet.chainId, headPollIntervalMs: 100, providers: cluster.devnet.nodes().map((n) => ({ id: n.id, url: n.httpUrl })) } },
      });
      for (let i = 0; i < 2; i++) replicas.push(await startLasso({ config, logger: createLogger(config.logging.level), processMetrics: false }));
      const [a, b] = replicas as [LassoInstance, LassoInstance];
      await waitFor(() => (finalizedOf(a) ?? 0) > 40 && (finalizedOf(b) ?? 0) > 40, { timeoutMs: 10_000, what: 'both replicas to learn the finalized block' });
      const block = cluster.devnet.canonical.block(40)!;
      const first = await rpc(`${a.url}/rpc/devnet`, 'eth_getBlockByHash', [block.hash, false]);
      expect(first.cache).toBe('miss');
      const other = await waitFor(
        async () => {
          const answer = await rpc(`${b.url}/rpc/devnet`, 'eth_getBlockByHash', [block.hash, false]);
          // The write to Redis is not awaited by replica a: retry until it has landed.
          return answer.cache === 'hit' ? answer : undefined;
        },
        { timeoutMs: 5_000, what: 'replica b to find the block in Redis' },
      );
      expect(other.body.result).toEqual(first.body.result);
      expect(await metricSum(b, 'lasso_cache_hits_total', { tier: 'redis' })).toBe(1);

      // Redis gone: each replica keeps caching in its own memory.
      await redis.kill();
      const next = cluster.devnet.canonical.block(41)!;
      const missed = await rpc(`${b.url}/rpc/devnet`, 'eth_getBlockByHash', [next.hash, false]);
      expect(missed.cache).toBe('miss');
      expect(missed.body.result.hash).toBe(next.hash);
      expect((await rpc(`${b.url}/rpc/devnet`, 'eth_getBlockByHash', [next.hash, false])).cache).toBe('hit');
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await redis.kill();
    }
  });
});
