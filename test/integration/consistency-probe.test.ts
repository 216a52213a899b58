import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsistencyProbe, createHttpTarget, seededAddress } from '../../src/chaos/workload/index.js';
import type { ConsistencyProbeOptions, RpcTarget, TargetReply } from '../../src/chaos/workload/index.js';
import { Devnet } from '../../src/devnet/index.js';

/**
 * The probe must see what a client would see: pointed at one in-sync node it finds nothing; pointed
 * at an in-sync node and a node 2 blocks behind in turn (a naive round-robin proxy), it counts heads
 * going backwards, older latest blocks, staleness and stale reads right after a receipt. Its
 * stale-answer loop finds no orphaned answer on a node through a reorg, and those of a naive cache.
 */
describe('consistency probe against the devnet', () => {
  let devnet: Devnet;
  const targets: RpcTarget[] = [];

  beforeAll(async () => {
    devnet = await Devnet.start({ nodes: 2, lagBlocks: { 'node-1': 2 } });
    for (let i = 0; i < 3; i++) await devnet.mineBlock();
  });
  afterAll(async () => {
    await Promise.all(targets.map((t) => t.close()));
    await devnet?.stop();
  });

  function target(url: string): RpcTarget {
    const t = createHttpTarget({ url, connections: 4 });
    targets.push(t);
    return t;
  }

  function probe(t: RpcTarget, account: number, seed: number, options: Partial<ConsistencyProbeOptions>): ConsistencyProbe {
    return new ConsistencyProbe({
      target: t,
      truth: devnet.canonical,
      sender: devnet.testAccount(account),
      recipient: seededAddress(seed),
      chainId: devnet.chainId,
      baseFeePerGas: devnet.canonical.headBlock().baseFeePerGas,
      ...options,
    });
  }

  function blocksMined(count: number): Promise<void> {
    return new Promise((resolve) => {
      let seen = 0;
      const onBlock = () => {
        if (++seen < count) return;
        devnet.off('block', onBlock);
        resolve();
      };
      devnet.on('block', onBlock);
    });
  }

  /** Each method's calls alternate between the two nodes. */
  function roundRobin(a: RpcTarget, b: RpcTarget): RpcTarget {
    const turns = new Map<string, number>();
    return {
      name: 'round-robin',
      send: (call, options) => {
        const turn = turns.get(call.method) ?? 0;
        turns.set(call.method, turn + 1);
        return (turn % 2 === 0 ? a : b).send(call, options);
      },
      close: async () => undefined,
    };
  }

  it('finds nothing on an in-sync node, and every kind of finding on a naive round-robin over a lagging one', async () => {
    const [inSync, lagging] = devnet.nodes();
    const options = { readPauseMs: 5, txIntervalMs: 100 };
    const honest = probe(target(inSync!.httpUrl), 0, 1, options);
    const naive = probe(roundRobin(target(inSync!.httpUrl), target(lagging!.httpUrl)), 1, 2, options);
    honest.start();
    naive.start();
    const mined = blocksMined(12);
    devnet.startMining(300);
    await mined;
    devnet.stopMining();
    const [good, bad] = await Promise.all([honest.stop(), naive.stop()]);

    expect(good).toMatchObject({ headsBackwards: 0, olderLatest: 0, bogusHeads: 0, staleAfterReceipt: 0, failedReads: 0 });
    expect(good.headReads).toBeGreaterThan(20);
    expect(good.receipts).toBeGreaterThan(0);
    expect(good.stalenessBlocks.p99).toBeLessThanOrEqual(1);

    expect(bad.headsBackwards).toBeGreaterThan(0);
    expect(bad.olderLatest).toBeGreaterThan(0);
    expect(bad.stalenessBlocks.max).toBeGreaterThanOrEqual(2);
    expect(bad.receipts).toBeGreaterThan(0);
    expect(bad.staleAfterReceipt).toBeGreaterThan(0);
    expect(bad.bogusHeads).toBe(0);
  }, 60_000);

  /** Remembers every answer but heads, forever: what a response cache without reorg handling would serve. */
  function naiveCache(t: RpcTarget): RpcTarget {
    const kept = new Map<string, TargetReply>();
    return {
      name: 'naive-cache',
      send: async (call, options) => {
        const params = JSON.stringify(call.params);
        if (call.method === 'eth_blockNumber' || call.method === 'eth_sendRawTransaction' || /latest|pending/.test(params)) return t.send(call, options);
        const key = `${call.method} ${params}`;
        const hit = kept.get(key);
        if (hit) return hit;
        const reply = await t.send(call, options);
        if (reply.result !== undefined && reply.result !== null) kept.set(key, reply);
        return reply;
      },
      close: async () => undefined,
    };
  }

  it('the stale-answer loop finds nothing on a node through a reorg, and the orphaned answers a naive cache keeps serving', async () => {
    const [node] = devnet.nodes();
    const reference = target(node!.httpUrl);
    const options = {
      readPauseMs: 20,
      txIntervalMs: 200,
      staleReads: { truth: devnet.canonical, reference, accounts: devnet.accounts.filter((a) => a.reserved).map((a) => a.address), pauseMs: 5 },
    };
    const honest = probe(target(node!.httpUrl), 2, 3, options);
    const naive = probe(naiveCache(target(node!.httpUrl)), 3, 4, options);
    honest.start();
    naive.start();
    const before = blocksMined(6);
    devnet.startMining(300);
    await before;
    await devnet.reorg(3);
    await blocksMined(6);
    devnet.stopMining();
    const [good, bad] = await Promise.all([honest.stop(), naive.stop()]);

    expect(good.stale!.staleAnswers).toBe(0);
    expect(good.stale!.answers.blockByNumber).toBeGreaterThan(10);
    expect(good.stale!.answers.receipt).toBeGreaterThan(0);
    expect(bad.stale!.staleAnswers).toBeGreaterThan(0);
    expect(bad.stale!.examples.some((e) => e.includes('orphaned before the request'))).toBe(true);
  }, 60_000);
});
