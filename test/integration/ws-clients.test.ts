/**
 * Real client libraries over WebSocket through Lasso, with the real subscription engine,
 * while the active upstream provider is SIGKILLed repeatedly: viem `watchBlocks` and
 * `watchContractEvent` over `webSocket()`, and ethers `WebSocketProvider.on('block')`, must see every
 * canonical block / log exactly once and in order (checked against the devnet's ground truth).
 */
import { Network, WebSocketProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, parseAbi, webSocket } from 'viem';
import type { Block, Log } from 'viem';
import type { SubscriptionEngine } from '../../src/subscriptions/engine.js';
import { FAST_SUBSCRIPTION_CHAIN, startCluster, stopMiningAndSettle } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const BLOCK_MS = 150;
const PING_ABI = parseAbi(['event Ping(address indexed sender, uint256 value)']);

describe('viem and ethers over WebSocket through Lasso while providers are killed', () => {
  let cluster: Cluster;
  let engine: SubscriptionEngine;
  const cleanups: Array<() => void | Promise<void>> = [];

  beforeAll(async () => {
    cluster = await startCluster({ chain: FAST_SUBSCRIPTION_CHAIN });
    engine = cluster.lasso.subscriptions('devnet') as SubscriptionEngine;
  });
  afterAll(async () => {
    cluster?.devnet.stopMining();
    for (const c of cleanups.reverse()) await c();
    await cluster?.close();
  });

  it('see every canonical block and log exactly once, in order, across 3 kills of the active upstream', async () => {
    const { devnet } = cluster;
    const errors: unknown[] = [];

    // viem: one socket, two watches (newHeads + logs) multiplexed on it.
    const viem = createPublicClient({ transport: webSocket(cluster.wsUrl, { reconnect: false }), pollingInterval: 100 });
    const viemNumbers: number[] = [];
    const viemBlocks: Array<Block | undefined> = [];
    const viemLogs: Log[] = [];
    const unwatchNumbers = viem.watchBlockNumber({ onBlockNumber: (n) => void viemNumbers.push(Number(n)), onError: (e) => void errors.push(['viem numbers', e]) });
    // watchBlocks fetches each announced block with eth_getBlockByNumber.
    const unwatchBlocks = viem.watchBlocks({ onBlock: (b) => void viemBlocks.push(b), onError: (e) => void errors.push(['viem blocks', e]) });
    const unwatchLogs = viem.watchContractEvent({
      address: devnet.contracts.emitter,
      abi: PING_ABI,
      eventName: 'Ping',
      onLogs: (logs) => void viemLogs.push(...logs),
      onError: (e) => void errors.push(['viem logs', e]),
    });
    cleanups.push(async () => {
      unwatchNumbers();
      unwatchBlocks();
      unwatchLogs();
      (await viem.transport.getRpcClient()).close();
    });

    // ethers: its own socket.
    const ethers = new WebSocketProvider(cluster.wsUrl, Network.from(devnet.chainId), { staticNetwork: true });
    const ethersBlocks: number[] = [];
    await ethers.on('block', (n: number) => void ethersBlocks.push(n));
    ethers.on('error', (e) => void errors.push(['ethers', e]));
    cleanups.push(() => ethers.destroy());

    await waitFor(() => engine.stats().clientSubscriptions === 4, { timeoutMs: 5000, what: 'four client subscriptions' });
    devnet.startMining(BLOCK_MS);
    const progress = (): number => Math.min(viemNumbers.at(-1) ?? -1, ethersBlocks.at(-1) ?? -1);

    const killed: string[] = [];
    for (let k = 0; k < 3; k++) {
      const target = progress() + 5;
      await waitFor(() => progress() >= target, { timeoutMs: 10_000, what: `clients to reach block ${target}` });
      const active = engine.debugStats().headProvider;
      expect(active).toBeDefined();
      await devnet.kill(active as string);
      killed.push(active as string);
      await waitFor(() => engine.debugStats().headProvider !== undefined && engine.debugStats().headProvider !== active, {
        timeoutMs: 5000,
        what: `failover away from ${active}`,
      });
      await devnet.restart(active as string);
    }
    const target = progress() + 3;
    await waitFor(() => progress() >= target, { timeoutMs: 10_000, what: 'clients to move on after the last kill' });

    // Stop the chain, then wait for every client to reach its head (and its last log).
    const head = await stopMiningAndSettle(devnet, BLOCK_MS);
    const lastLog = devnet.canonical.logs(0, head).at(-1);
    await waitFor(() => viemNumbers.at(-1) === head && ethersBlocks.at(-1) === head, { timeoutMs: 5000, what: `blocks up to ${head}` });
    if (lastLog) await waitFor(() => viemLogs.some((l) => l.blockHash === lastLog.blockHash && l.logIndex === Number(lastLog.logIndex)), { timeoutMs: 5000, what: 'last log' });

    expect(errors).toEqual([]);
    expect(killed).toHaveLength(3);

    // viem watchBlockNumber: every canonical number from its first to the head, once, in order.
    expect(viemNumbers).toEqual(devnet.canonical.blocks(viemNumbers[0]!, head).map((b) => b.number));

    // viem watchBlocks: every canonical block from its first to the head, fetched once. viem emits
    // undefined for a getBlock that fails (it swallows the error), so a block read that loses its
    // provider to a kill must still be answered with the block. Order is not asserted here: viem
    // emits blocks in the order its fetches complete (numbers above are checked in order).
    expect(viemBlocks.length).toBeGreaterThan(0);
    expect(viemBlocks.filter((b) => b === undefined)).toHaveLength(0);
    const fetched = (viemBlocks as Block[]).map((b) => ({ number: Number(b.number), hash: b.hash })).sort((a, b) => a.number - b.number);
    expect(fetched).toEqual(devnet.canonical.blocks(fetched[0]!.number, head).map((b) => ({ number: b.number, hash: b.hash })));

    // ethers on('block'): every number from its first to the head, once, in order.
    const firstEthers = ethersBlocks[0]!;
    expect(ethersBlocks).toEqual(devnet.canonical.blocks(firstEthers, head).map((b) => b.number));

    // viem watchContractEvent: every canonical Ping log from its first log's block to the head.
    expect(viemLogs.length).toBeGreaterThan(0);
    const firstLogBlock = Number(viemLogs[0]!.blockNumber);
    const expectedLogs = devnet.canonical.logs(firstLogBlock, head).filter((l) => l.address.toLowerCase() === devnet.contracts.emitter.toLowerCase());
    const id = (l: { blockHash: string | null; logIndex: number | string | null }): string => `${l.blockHash}:${Number(l.logIndex)}`;
    expect(viemLogs.map(id)).toEqual(expectedLogs.map(id));
    expect(viemLogs.every((l) => l.removed === false)).toBe(true);
    expect(viemLogs.every((l) => (l as Log & { eventName?: string }).eventName === 'Ping')).toBe(true);

    // The clients leave: every client subscription is released, and the upstream ones after the grace period.
    for (const c of cleanups.splice(0).reverse()) await c();
    await waitFor(() => engine.stats().clientSubscriptions === 0 && engine.stats().upstreamSubscriptions === 0, {
      timeoutMs: 5000,
      what: 'engine back to 0 client and upstream subscriptions',
    });
    await waitFor(() => cluster.lasso.ws.stats().connections === 0, { timeoutMs: 5000, what: 'front back to 0 connections' });
  });

  /**
   * The engine announces a head the moment its upstream has it, and viem's watchBlocks then asks
   * for that block by number; a provider that has not imported it yet answers null. The pipeline
   * asks the next provider before answering null for a block at or below the known head.
   */
  it('viem watchBlocks gets every announced block (no null reads right after newHeads)', async () => {
    const viem = createPublicClient({ transport: webSocket(cluster.wsUrl, { reconnect: false }) });
    const blocks: Array<Block | undefined> = [];
    const unwatch = viem.watchBlocks({ onBlock: (b) => void blocks.push(b) });
    try {
      await waitFor(() => engine.stats().clientSubscriptions >= 1, { timeoutMs: 5000, what: 'subscription' });
      for (let i = 0; i < 20; i++) await cluster.devnet.mineBlock();
      await waitFor(() => blocks.length >= 20, { timeoutMs: 5000, what: '20 blocks' });
      expect(blocks.filter((b) => b === undefined)).toHaveLength(0);
    } finally {
      unwatch();
      (await viem.transport.getRpcClient()).close();
    }
  });
});
