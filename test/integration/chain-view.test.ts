import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, createWalletClient, http } from 'viem';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { getJson, getText, metricValue, rpc } from '../helpers/rpc.js';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';

/**
 * Providers that disagree: node-2 really receives every block 2 blocks late (inside the default
 * lag allowance), and node-3 (HTTP only) answers eth_blockNumber with its real head + 1000 (all else true).
 * Clients must never see the chain go backwards, a stale head, a bogus head, or a stale read
 * right after a receipt; the honest providers keep serving.
 */
describe('chain view: a lagging provider and a lying one', () => {
  let cluster: Cluster;
  const BLOCK_TIME_MS = 1000;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 4,
      faultProxies: true,
      devnet: { lagBlocks: { 'node-2': 2 } },
      chain: { headPollIntervalMs: 1000 },
      // The lie is told over HTTP: without a WebSocket, node-3's head comes from those polls.
      providers: { 'node-3': { wsUrl: undefined } },
    });
    cluster.proxies.get('node-3')!.addFault({ type: 'rewrite_result', methods: ['eth_blockNumber'], addHex: 1000 });
    cluster.devnet.startMining(BLOCK_TIME_MS);
    await blocksMined(cluster, 3, 10_000); // the chain view sees a few blocks first
  });
  afterAll(async () => cluster?.close());

  it('over thousands of sequential reads: never backwards, never older than a head given, fresh, never bogus', async () => {
    const truth = cluster.devnet.canonical;
    let highest = -1;
    let backwards = 0;
    let olderLatest = 0;
    let bogus = 0;
    let reads = 0;
    const staleness: number[] = [];
    for (let i = 0; i < 1500; i++) {
      const realBefore = truth.head();
      const n = Number.parseInt((await rpc(cluster.rpcUrl, 'eth_blockNumber')).body.result as string, 16);
      const realAfter = truth.head();
      reads++;
      if (n < highest) backwards++;
      // A block being mined can be served by the first node to have it before the devnet records
      // it as canonical (every node has it); a head beyond that exists nowhere.
      if (n > realAfter + 1) bogus++;
      staleness.push(realBefore - n);
      highest = Math.max(highest, n);
      const block = (await rpc(cluster.rpcUrl, 'eth_getBlockByNumber', ['latest', false])).body.result as { number: string } | null;
      reads++;
      const b = block === null ? -1 : Number.parseInt(block.number, 16);
      if (b < highest) olderLatest++;
      if (b > truth.head() + 1) bogus++;
      highest = Math.max(highest, b);
    }
    staleness.sort((a, b) => a - b);
    const p99 = staleness[Math.floor(staleness.length * 0.99)]!;
    expect({ backwards, olderLatest, bogus }).toEqual({ backwards: 0, olderLatest: 0, bogus: 0 });
    expect(reads).toBe(3000);
    expect(p99).toBeLessThanOrEqual(1);
  }, 180_000);

  it('marks the liar as an outlier with its reason, counts it, and the honest providers keep serving', async () => {
    const providers = (await getJson(`${cluster.lasso.url}/api/providers`)).chains[0].providers as { id: string; outlier: string | null; lagging: boolean }[];
    const byId = new Map(providers.map((p) => [p.id, p]));
    expect(byId.get('node-3')!.outlier).toMatch(/ahead/);
    for (const id of ['node-0', 'node-1', 'node-2']) expect(byId.get(id)!.outlier).toBeNull();
    expect(byId.get('node-0')!.lagging).toBe(false);
    const metrics = await getText(`${cluster.lasso.url}/metrics`);
    expect(metricValue(metrics, 'lasso_provider_outlier', { provider: 'node-3' })).toBe(1);
    expect(metricValue(metrics, 'lasso_provider_outlier', { provider: 'node-0' })).toBe(0);

    const served = new Set<string>();
    const address = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}`;
    for (let i = 0; i < 60; i++) {
      const res = await rpc(cluster.rpcUrl, 'eth_getBalance', [address(i), 'latest']);
      expect(res.body.error).toBeUndefined();
      served.add(String(res.headers['x-lasso-provider']));
    }
    expect(served.has('node-3')).toBe(false);
    expect(served.has('node-0') || served.has('node-1')).toBe(true);
  });

  it('reads right after a receipt see the transaction: balance and nonce', async () => {
    const sender = cluster.devnet.testAccount(5);
    const account = privateKeyToAccount(sender.privateKey);
    const transport = http(cluster.rpcUrl, { retryCount: 0 });
    const chain = { id: 1337, name: 'devnet', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [cluster.rpcUrl] } } } as const;
    const client = createPublicClient({ chain, transport, pollingInterval: 50 });
    const wallet = createWalletClient({ chain, transport, account });
    let stale = 0;
    for (let i = 0; i < 8; i++) {
      const to = `0x${(0xabc000 + i).toString(16).padStart(40, '0')}` as Hex;
      const hash = await wallet.sendTransaction({ to, value: 1000n + BigInt(i) });
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      expect(receipt.status).toBe('success');
      const [balance, nonce] = await Promise.all([client.getBalance({ address: to }), client.getTransactionCount({ address: sender.address })]);
      const tx = await client.getTransaction({ hash });
      if (balance !== 1000n + BigInt(i) || nonce !== tx.nonce + 1) stale++;
    }
    expect(stale).toBe(0);
  });
});

function blocksMined(cluster: Cluster, count: number, timeoutMs: number): Promise<void> {
  const { devnet } = cluster;
  return new Promise((resolve, reject) => {
    let seen = 0;
    const onBlock = (): void => {
      if (++seen < count) return;
      stop();
      resolve();
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} blocks`));
    }, timeoutMs);
    const stop = (): void => {
      clearTimeout(timer);
      devnet.off('block', onBlock);
    };
    devnet.on('block', onBlock);
  });
}
