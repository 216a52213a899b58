import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainRuntime } from '../../src/providers/chain-runtime.js';
import { getJson } from '../helpers/rpc.js';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Heads from each provider's own newHeads subscription: the chain view learns every mined block's
 * hash, and sees a reorg, with no client request at all; a provider whose WebSocket is dropped is
 * polled instead, with no gap in its head.
 */
describe('chain view fed by newHeads', () => {
  let cluster: Cluster;
  let chain: ChainRuntime;

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, faultProxies: true });
    chain = cluster.lasso.chains.all()[0]!;
    await waitFor(() => chain.providers.every((p) => chain.headTracker.isSubscribed(p)), { timeoutMs: 10_000, what: 'head subscriptions on every provider' });
  }, 30_000);
  afterAll(async () => cluster?.close());

  it('knows a mined block and its hash without any client request', async () => {
    const block = await cluster.devnet.mineBlock();
    await waitFor(() => chain.view.hashAt(block.number) === block.hash.toLowerCase(), { timeoutMs: 5_000, what: 'the mined block hash in the chain view' });
    expect(chain.view.corroboratedHead()).toBe(block.number);
  });

  it('sees a reorg with no client traffic', async () => {
    await cluster.devnet.mineBlock();
    const tip = await cluster.devnet.mineBlock();
    await waitFor(() => chain.view.hashAt(tip.number) === tip.hash.toLowerCase(), { timeoutMs: 5_000, what: 'the tip hash in the chain view' });
    const reorgs: number[] = [];
    const off = chain.view.onReorg((n) => reorgs.push(n));
    try {
      const record = await cluster.devnet.reorg(2);
      const first = record[0]!;
      await waitFor(() => reorgs.length > 0, { timeoutMs: 5_000, what: 'the chain view to see the reorg' });
      expect(reorgs[0]).toBe(first.number);
      const newTip = record[record.length - 1]!;
      await waitFor(() => chain.view.hashAt(newTip.number) === newTip.hash.toLowerCase(), { timeoutMs: 5_000, what: 'the new branch in the chain view' });
    } finally {
      off();
    }
  });

  it('polls a provider whose WebSocket is dropped, with no gap in its head', async () => {
    const node0 = chain.provider('node-0')!;
    const drop = cluster.proxies.get('node-0')!.addFault({ type: 'ws_drop' });
    try {
      await waitFor(() => !chain.headTracker.isSubscribed(node0), { timeoutMs: 5_000, what: 'node-0 head subscription to end' });
      for (let i = 0; i < 3; i++) {
        const block = await cluster.devnet.mineBlock();
        await waitFor(() => node0.head.number === block.number, { timeoutMs: 5_000, what: `node-0 head at ${block.number} through polls` });
      }
    } finally {
      drop.remove();
    }
    await waitFor(() => chain.headTracker.isSubscribed(node0), { timeoutMs: 10_000, what: 'node-0 head subscription back' });
  });

  it('shows the servable range of each provider in /api/providers, learned or not', async () => {
    const servable = async () =>
      new Map(((await getJson(`${cluster.lasso.url}/api/providers`)).chains[0].providers as { id: string; servable: unknown }[]).map((p) => [p.id, p.servable]));
    expect((await servable()).get('node-1')).toEqual({ oldestBlock: null, source: 'unknown' });
    chain.capabilities.markPrunedBelow('node-1', 3);
    expect((await servable()).get('node-1')).toEqual({ oldestBlock: 3, source: 'learned' });
    chain.capabilities.forget('node-1');
  });
});
