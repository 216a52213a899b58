/**
 * Subscription continuity on a real 3-node devnet with real sockets: the engine (SubscriptionEngine,
 * wired by startLasso) is driven with test sinks and checked against the devnet's ground truth.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RpcLog } from 'viem';
import { PING_TOPIC } from '../../src/devnet/index.js';
import type { RpcError } from '../../src/jsonrpc/errors.js';
import type { SubscriptionEngine } from '../../src/subscriptions/engine.js';
import type { ClientSubscriptionHandle, SubscriptionSink } from '../../src/subscriptions/types.js';
import { FAST_SUBSCRIPTION_CHAIN, startCluster, stopMiningAndSettle } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { getJson } from '../helpers/rpc.js';
import { waitFor } from '../helpers/wait.js';

const BLOCK_MS = 150;

class TestSink implements SubscriptionSink {
  readonly items: any[] = [];
  ended: RpcError | undefined;
  deliver(result: unknown): boolean {
    this.items.push(result);
    return true;
  }
  end(error: RpcError): void {
    this.ended = error;
  }
}

let cluster: Cluster | undefined;
afterEach(async () => {
  // SUBS_DEBUG=1 prints the non-zero subscription metrics of each test (what the engine actually did).
  if (process.env.SUBS_DEBUG && cluster) {
    const text = await cluster.lasso.metrics.registry.metrics();
    console.log(text.split('\n').filter((l) => l.startsWith('lasso_subscription') && !l.includes(' 0')).join('\n'));
  }
  cluster?.devnet.stopMining();
  await cluster?.close();
  cluster = undefined;
});

async function start(faultProxies = false, subscriptions: Record<string, unknown> = {}): Promise<{ cluster: Cluster; engine: SubscriptionEngine }> {
  cluster = await startCluster({ faultProxies, chain: { ...FAST_SUBSCRIPTION_CHAIN, subscriptions: { ...FAST_SUBSCRIPTION_CHAIN.subscriptions, ...subscriptions } } });
  return { cluster, engine: cluster.lasso.subscriptions('devnet') as SubscriptionEngine };
}

const logFilter = (c: Cluster) => ({ address: c.devnet.contracts.emitter, topics: [PING_TOPIC] });
const headNumbers = (sink: TestSink): number[] => sink.items.map((h) => Number(h.number));
const lastHead = (sink: TestSink): number => Number(sink.items.at(-1)?.number ?? -1);
/**
 * Slows every upstream eth_subscribe answer down by ~3 block times, so each failover leaves a real
 * gap of blocks that only HTTP backfill can fill.
 */
function slowSubscribes(c: Cluster): void {
  for (const proxy of c.proxies.values()) proxy.addFault({ type: 'latency', ms: 3 * BLOCK_MS, methods: ['eth_subscribe'], transport: 'ws' });
}

async function metricText(c: Cluster, name: string): Promise<string> {
  return c.lasso.metrics.registry.getSingleMetricAsString(name);
}

const logId = (l: { blockHash: string | null; logIndex: string | number | null }): string => `${l.blockHash}:${Number(l.logIndex)}`;

/** Stops mining and waits until the sink has the canonical head (newHeads) or its last log (logs). */
async function settle(c: Cluster, heads: TestSink[], logs: TestSink[] = []): Promise<number> {
  const head = await stopMiningAndSettle(c.devnet, BLOCK_MS);
  const lastLog = c.devnet.canonical.logs(0, head).at(-1);
  await waitFor(() => heads.every((s) => lastHead(s) === head), { timeoutMs: 5_000, what: `heads up to ${head}` });
  if (lastLog) await waitFor(() => logs.every((s) => s.items.some((l) => logId(l) === logId(lastLog))), { timeoutMs: 5_000, what: 'last log' });
  return head;
}

/** Every canonical block from the first delivered one to `head`, exactly once, in order. */
function expectCanonicalHeads(c: Cluster, sink: TestSink, head: number): void {
  const first = headNumbers(sink)[0] ?? 0;
  expect(sink.ended).toBeUndefined();
  expect(sink.items.map((h) => h.hash)).toEqual(c.devnet.canonical.blocks(first, head).map((b) => b.hash));
  // Same shape as a live newHeads notification whatever the source (backfilled ones included).
  for (const h of sink.items) {
    expect(h).toMatchObject({ number: expect.any(String), hash: expect.any(String), parentHash: expect.any(String) });
    expect(h).not.toHaveProperty('transactions');
  }
}

/** Every canonical log of the blocks from the first delivered log's block to `head`, exactly once, in order. */
function expectCanonicalLogs(c: Cluster, sink: TestSink, head: number): void {
  expect(sink.ended).toBeUndefined();
  expect(sink.items.length).toBeGreaterThan(0);
  const firstBlock = Number(sink.items[0].blockNumber);
  const expected = c.devnet.canonical.logs(firstBlock, head);
  expect(sink.items.map(logId)).toEqual(expected.map(logId));
  expect(sink.items.every((l) => l.removed === false)).toBe(true);
}

/** Kills the active upstream `kills` times while the chain advances, restarting each killed node after the failover. */
async function killActiveRepeatedly(c: Cluster, engine: SubscriptionEngine, progress: () => number, kills: number): Promise<string[]> {
  const killed: string[] = [];
  for (let k = 0; k < kills; k++) {
    const target = progress() + 6;
    await waitFor(() => progress() >= target, { timeoutMs: 10_000, what: `progress to ${target}` });
    const active = engine.debugStats().headProvider;
    expect(active).toBeDefined();
    await c.devnet.kill(active as string);
    killed.push(active as string);
    await waitFor(() => engine.debugStats().headProvider !== undefined && engine.debugStats().headProvider !== active, {
      timeoutMs: 5_000,
      what: `failover away from ${active}`,
    });
    await c.devnet.restart(active as string);
  }
  return killed;
}

describe('subscription continuity (real devnet)', () => {
  it('a) newHeads survives its active upstream being SIGKILLed 3 times: every canonical block once, in order', async () => {
    const { cluster: c, engine } = await start(true);
    const sink = new TestSink();
    const handle: ClientSubscriptionHandle = await engine.subscribe('newHeads', [], sink);
    expect(handle.id).toMatch(/^0x[0-9a-f]{32}$/);
    slowSubscribes(c);
    c.devnet.startMining(BLOCK_MS);
    const killed = await killActiveRepeatedly(c, engine, () => sink.items.length, 3);
    expect(killed).toHaveLength(3);
    await waitFor(() => sink.items.length >= 30, { timeoutMs: 10_000, what: '30 heads' });
    const head = await settle(c, [sink]);
    expectCanonicalHeads(c, sink, head);
    expect(sink.items.length).toBeGreaterThanOrEqual(30);
    expect(engine.stats().byKey.newHeads).toMatchObject({ clients: 1 });
    expect(await metricText(c, 'lasso_subscription_failovers_total')).toMatch(/reason="lost"/);
    // The failovers left gaps (slow re-subscribes) that were filled over HTTP.
    expect(await metricText(c, 'lasso_subscription_backfilled_blocks_total')).toMatch(/kind="newHeads"} [1-9]/);
    expect(await metricText(c, 'lasso_subscription_gaps_unfilled_total')).not.toMatch(/} [1-9]/);
    handle.unsubscribe();
  });

  it('b) logs (address + topic filter) survive 3 SIGKILLs: every canonical log once, in order', async () => {
    const { cluster: c, engine } = await start(true);
    const sink = new TestSink();
    const heads = new TestSink();
    await engine.subscribe('logs', [logFilter(c)], sink);
    await engine.subscribe('newHeads', [], heads);
    slowSubscribes(c);
    c.devnet.startMining(BLOCK_MS);
    await killActiveRepeatedly(c, engine, () => heads.items.length, 3);
    await waitFor(() => heads.items.length >= 30, { timeoutMs: 10_000, what: '30 heads' });
    const head = await settle(c, [heads], [sink]);
    expectCanonicalLogs(c, sink, head);
    expectCanonicalHeads(c, heads, head);
    // Two pings per block: a logs stream that skipped a block would have been caught above.
    expect(sink.items.length).toBeGreaterThanOrEqual(50);
    expect(await metricText(c, 'lasso_subscription_backfilled_blocks_total')).toMatch(/kind="logs"} [1-9]/);
  });

  it('c) a 2-block reorg: newHeads delivers the new branch from the fork point; logs re-deliver orphans as removed', async () => {
    const { cluster: c, engine } = await start();
    const heads = new TestSink();
    const logs = new TestSink();
    await engine.subscribe('newHeads', [], heads);
    await engine.subscribe('logs', [logFilter(c)], logs);
    const firstMined = (await c.devnet.mineBlock()).number;
    for (let i = 0; i < 3; i++) await c.devnet.mineBlock();
    const oldHead = c.devnet.canonical.head();
    await waitFor(() => lastHead(heads) === oldHead, { timeoutMs: 5_000, what: 'old head delivered' });
    const oldLast = c.devnet.canonical.logs(oldHead, oldHead).at(-1) as RpcLog;
    await waitFor(() => logs.items.some((l) => logId(l) === logId(oldLast)), { timeoutMs: 5_000, what: 'old logs delivered' });

    await c.devnet.reorg(2);
    await c.devnet.mineBlock();
    const head = await settle(c, [heads], [logs]);
    const reorg = c.devnet.canonical.reorgs()[0];
    expect(reorg).toBeDefined();
    const fork = reorg!.commonAncestor;
    const truth = c.devnet.canonical;

    // newHeads: the old chain up to the old tip, then the new branch from fork + 1.
    const expectedHeads = [...truth.blocks(firstMined, fork), ...reorg!.orphaned, ...truth.blocks(fork + 1, head)].map((b) => b.hash);
    expect(heads.items.map((h) => h.hash)).toEqual(expectedHeads);
    expect(headNumbers(heads).slice(-(head - fork))).toEqual(Array.from({ length: head - fork }, (_, i) => fork + 1 + i));

    // logs: old logs, then the orphaned ones again with removed: true, then the new branch's logs.
    const orphanedLogs = truth.orphanedLogs();
    expect(orphanedLogs.length).toBeGreaterThan(0);
    const expectedLogs = [
      ...truth.logs(firstMined, fork).map((l) => `${logId(l)}:false`),
      ...orphanedLogs.map((l) => `${logId(l)}:false`),
      ...orphanedLogs.map((l) => `${logId(l)}:true`),
      ...truth.logs(fork + 1, head).map((l) => `${logId(l)}:false`),
    ];
    expect(logs.items.map((l) => `${logId(l)}:${l.removed}`)).toEqual(expectedLogs);
    const removed = logs.items.filter((l) => l.removed);
    expect(removed.map((l) => l.transactionHash)).toEqual(orphanedLogs.map((l) => l.transactionHash));
    expect(await metricText(c, 'lasso_subscription_reorgs_total')).toMatch(/ 1$/m);
  });

  it('d) 100 client subscriptions with the same filter share exactly one upstream subscription', async () => {
    const { cluster: c, engine } = await start(true);
    const emitter = c.devnet.contracts.emitter;
    // Spelled differently, equal after normalisation.
    const spellings = [
      { address: emitter, topics: [PING_TOPIC] },
      { address: emitter.toUpperCase().replace('0X', '0x'), topics: [PING_TOPIC, null, null] },
      { address: [emitter, emitter.toLowerCase()], topics: [[PING_TOPIC]] },
      { address: [emitter], topics: [PING_TOPIC.toUpperCase().replace('0X', '0x'), null] },
    ];
    const sinks: TestSink[] = [];
    const handles = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const sink = new TestSink();
        sinks.push(sink);
        return engine.subscribe('logs', [spellings[i % spellings.length]], sink);
      }),
    );
    expect(new Set(handles.map((h) => h.id)).size).toBe(100);
    const stats = engine.stats();
    const logKeys = Object.keys(stats.byKey).filter((k) => k.startsWith('logs:'));
    expect(logKeys).toHaveLength(1);
    expect(stats.byKey[logKeys[0] as string]?.clients).toBe(100);
    expect(engine.debugStats().upstreamSubscribeCalls).toEqual({ newHeads: 1, logs: 1 });
    expect(stats.upstreamSubscriptions).toBe(2); // the shared logs subscription + the chain's newHeads clock
    // The ws channels show up in /api/providers next to the http one.
    const api = await getJson(`${c.lasso.url}/api/providers`);
    const active = api.chains[0].providers.find((p: { id: string }) => p.id === engine.debugStats().headProvider);
    expect(active.channels.map((ch: { transport: string }) => ch.transport)).toEqual(['http', 'ws']);
    // The two above, plus the provider's own newHeads subscription that feeds the chain view.
    expect(active.channels[1]).toMatchObject({ breaker: 'closed', connection: 'open', subscriptions: 3 });
    expect(JSON.stringify(api)).not.toContain(c.devnet.nodes()[0]?.wsUrl);

    for (let i = 0; i < 3; i++) await c.devnet.mineBlock();
    const head = c.devnet.canonical.head();
    const expected = c.devnet.canonical.logs(head - 2, head).map(logId);
    await waitFor(() => sinks.every((s) => s.items.length === expected.length), { timeoutMs: 5_000, what: 'logs at every client' });
    for (const s of sinks) expect(s.items.map(logId)).toEqual(expected);
    // Upstream side, seen by the proxy: one eth_subscribe per kind crossed each connection at most.
    expect(engine.debugStats().upstreamSubscribeCalls).toEqual({ newHeads: 1, logs: 1 });

    for (const h of handles) h.unsubscribe();
    expect(engine.stats().clientSubscriptions).toBe(0);
    // Released upstream after the grace period (50 ms here): the logs stream first, then the newHeads clock.
    await waitFor(() => engine.stats().upstreamSubscriptions === 0, { timeoutMs: 3_000, what: 'upstream unsubscribed' });
    expect(engine.stats().byKey).toEqual({});
  });

  it('d2) unknown subscription kinds and bad logs filters are rejected with -32602', async () => {
    const { cluster: c, engine } = await start();
    const sink = new TestSink();
    await expect(engine.subscribe('newBlocks', [], sink)).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/unsupported subscription type "newBlocks"/) });
    await expect(engine.subscribe('logs', [{ address: '0x1234' }], sink)).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/address/) });
    await expect(engine.subscribe('logs', [{ topics: [null, null, null, null, null] }], sink)).rejects.toMatchObject({ code: -32602 });
    await expect(engine.subscribe('logs', [{ fromBlock: '0x1' }], sink)).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/fromBlock/) });
    expect(engine.stats().clientSubscriptions).toBe(0);
    void c;
  });

  it('e) a silent stall (ws_stall) is detected within ~2 block times and failed over, without a gap', async () => {
    const { cluster: c, engine } = await start(true);
    const heads = new TestSink();
    const logs = new TestSink();
    await engine.subscribe('newHeads', [], heads);
    await engine.subscribe('logs', [logFilter(c)], logs);
    c.devnet.startMining(BLOCK_MS);
    // Let the block time estimate converge.
    await waitFor(() => heads.items.length >= 8 && (engine.debugStats().blockTimeMs ?? Infinity) < 3 * BLOCK_MS, { timeoutMs: 10_000, what: 'block time estimate' });
    const stalled = engine.debugStats().headProvider as string;
    const stallAt = Date.now();
    const headsAtStall = heads.items.length;
    c.proxies.get(stalled)?.addFault({ type: 'ws_stall' });
    await waitFor(() => engine.debugStats().headProvider !== undefined && engine.debugStats().headProvider !== stalled, {
      timeoutMs: 5_000,
      what: 'stall failover',
    });
    const detectedMs = Date.now() - stallAt;
    // ~2 block times of silence + one HTTP probe; generous bound for a loaded CI machine.
    expect(detectedMs).toBeLessThan(8 * BLOCK_MS + 500);
    await waitFor(() => heads.items.length >= headsAtStall + 8, { timeoutMs: 10_000, what: 'heads after the stall' });
    const head = await settle(c, [heads], [logs]);
    expectCanonicalHeads(c, heads, head);
    expectCanonicalLogs(c, logs, head);
    expect(await metricText(c, 'lasso_subscription_failovers_total')).toMatch(/reason="stall"/);
  });

  it('f) all WebSocket providers down: HTTP polling keeps delivering, then back to WebSocket', async () => {
    const { cluster: c, engine } = await start(true);
    const heads = new TestSink();
    const logs = new TestSink();
    await engine.subscribe('newHeads', [], heads);
    await engine.subscribe('logs', [logFilter(c)], logs);
    c.devnet.startMining(BLOCK_MS);
    await waitFor(() => heads.items.length >= 5, { timeoutMs: 10_000, what: 'first heads' });

    const drops = [...c.proxies.values()].map((p) => p.addFault({ type: 'ws_drop' }));
    await waitFor(() => engine.debugStats().headMode === 'polling', { timeoutMs: 5_000, what: 'polling mode' });
    const atPolling = heads.items.length;
    await waitFor(() => heads.items.length >= atPolling + 8, { timeoutMs: 10_000, what: 'heads while polling' });
    expect(engine.debugStats().headMode).toBe('polling');
    expect(engine.stats().upstreamSubscriptions).toBe(0);

    for (const d of drops) d.remove();
    await waitFor(() => engine.debugStats().headMode === 'live', { timeoutMs: 10_000, what: 'back to WebSocket' });
    await waitFor(() => engine.stats().upstreamSubscriptions === 2, { timeoutMs: 5_000, what: 'logs resubscribed' });
    const atLive = heads.items.length;
    await waitFor(() => heads.items.length >= atLive + 5, { timeoutMs: 10_000, what: 'heads after return' });
    const head = await settle(c, [heads], [logs]);
    expectCanonicalHeads(c, heads, head);
    expectCanonicalLogs(c, logs, head);
  });

  it('g) a gap larger than maxBackfillBlocks ends the subscriptions with a clear error, never a silent hole', async () => {
    const { cluster: c, engine } = await start(true, { maxBackfillBlocks: 1, staleAfterBlockTimes: 5 });
    const heads = new TestSink();
    const logs = new TestSink();
    await engine.subscribe('newHeads', [], heads);
    await engine.subscribe('logs', [logFilter(c)], logs);
    c.devnet.startMining(BLOCK_MS);
    await waitFor(() => heads.items.length >= 8 && (engine.debugStats().blockTimeMs ?? Infinity) < 3 * BLOCK_MS, { timeoutMs: 10_000, what: 'block time estimate' });
    // Five block times of silence leave a gap of several blocks; only one may be backfilled.
    c.proxies.get(engine.debugStats().headProvider as string)?.addFault({ type: 'ws_stall' });
    await waitFor(() => heads.ended !== undefined && logs.ended !== undefined, { timeoutMs: 10_000, what: 'subscriptions ended' });
    expect(heads.ended).toMatchObject({ code: -32000, message: expect.stringMatching(/gap .*could not be filled.*maxBackfillBlocks/) });
    expect(logs.ended?.code).toBe(-32000);
    // What was delivered before the end is a hole-free canonical prefix.
    const delivered = headNumbers(heads);
    expect(heads.items.map((h) => h.hash)).toEqual(c.devnet.canonical.blocks(delivered[0], delivered.at(-1)).map((b) => b.hash));
    expect(await metricText(c, 'lasso_subscription_gaps_unfilled_total')).toMatch(/kind="newHeads"} 1/);
    await waitFor(() => engine.stats().clientSubscriptions === 0, { timeoutMs: 1_000, what: 'clients released' });

    // A new subscription starts cleanly afterwards.
    const again = new TestSink();
    await engine.subscribe('newHeads', [], again);
    await waitFor(() => again.items.length >= 5, { timeoutMs: 10_000, what: 'heads on a new subscription' });
    const head = await settle(c, [again]);
    expectCanonicalHeads(c, again, head);
  });

  it('h) newPendingTransactions is passed through from the active provider, without duplicates (best effort)', async () => {
    const { cluster: c, engine } = await start();
    const sink = new TestSink();
    await engine.subscribe('newPendingTransactions', [], sink);
    expect(engine.stats().byKey.newPendingTransactions).toMatchObject({ clients: 1, provider: 'node-0' });
    for (let i = 0; i < 3; i++) await c.devnet.mineBlock();
    const head = c.devnet.canonical.head();
    const txs = c.devnet.canonical.blocks(head - 2, head).flatMap((b) => b.txHashes.map((h) => h.toLowerCase()));
    expect(txs.length).toBe(6);
    await waitFor(() => txs.every((h) => sink.items.includes(h)), { timeoutMs: 5_000, what: 'pending tx hashes' });
    expect(new Set(sink.items).size).toBe(sink.items.length);
  });
});
