/**
 * HeadStream and LogsStream ordering logic against a scripted chain, in HTTP polling mode (no ws
 * providers): gap filling, reorg walk-back, null answers from laggards, unfillable gaps, and the
 * removed-then-new order of logs on a reorg. Deterministic: the chain only moves when the test says.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { SubscriptionMetrics } from '../../../src/observability/subscription-metrics.js';
import type { BlockId, ChainBlock } from '../../../src/subscriptions/block.js';
import { HeadStream } from '../../../src/subscriptions/head-stream.js';
import type { HeadListener } from '../../../src/subscriptions/head-stream.js';
import { LogsStream } from '../../../src/subscriptions/logs-stream.js';
import { ScriptedChain, Sink, scriptedContext } from '../../helpers/scripted-chain.js';
import { waitFor } from '../../helpers/wait.js';

const streams: { stop(): void }[] = [];
afterEach(() => {
  for (const s of streams.splice(0)) s.stop();
});

function setup(chain: ScriptedChain, overrides: Record<string, unknown> = {}) {
  const registry = new Registry();
  const metrics = new SubscriptionMetrics(registry);
  const ctx = scriptedContext(chain, { pollIntervalMs: 10, minBlockTimeMs: 10, ...overrides }, metrics);
  const head = new HeadStream(ctx, () => undefined);
  streams.push(head);
  const sink = new Sink();
  head.clients.add('c1', sink);
  const events: string[] = [];
  const listener: HeadListener = {
    onProvider: () => undefined,
    onHead: (b, info) => events.push(`head ${b.number} ${info.source}`),
    onReorg: (orphaned, fork) => events.push(`reorg ${fork} ${orphaned.map((o) => o.number).join(',')}`),
    onFatal: () => events.push('fatal'),
  };
  head.addDependent(listener);
  head.start();
  return { head, sink, events, registry, ctx };
}

const numbers = (sink: Sink) => sink.items.map((h) => Number(h.number));
const hashes = (sink: Sink) => sink.items.map((h) => h.hash);
const metric = async (registry: Registry, name: string) => registry.getSingleMetricAsString(name);

describe('HeadStream (polling mode, scripted chain)', () => {
  it('starts from the current head without delivering it, then fills gaps in order', async () => {
    const chain = new ScriptedChain(6);
    const { head, sink, registry } = setup(chain);
    await head.ready;
    expect(head.mode).toBe('polling');
    expect(head.tip()?.number).toBe(5);
    chain.mine();
    await waitFor(() => sink.items.length === 1, { timeoutMs: 2_000, what: 'block 6' });
    chain.mine(4);
    chain.nullsAhead.set(8, 3); // a laggard answers null first: retried, not skipped
    await waitFor(() => sink.items.length === 5, { timeoutMs: 2_000, what: 'blocks 7..10' });
    expect(hashes(sink)).toEqual(chain.canonical.slice(6).map((b) => b.hash));
    expect(sink.items[0]).not.toHaveProperty('transactions');
    expect(await metric(registry, 'lasso_subscription_backfilled_blocks_total')).toMatch(/kind="newHeads"} 3/);
  });

  it('walks a reorg back to the fork point: reorg notice first, then the new branch from fork + 1', async () => {
    const chain = new ScriptedChain(10);
    const { head, sink, events, registry } = setup(chain);
    await head.ready;
    chain.mine();
    await waitFor(() => sink.items.length === 1, { timeoutMs: 2_000, what: 'block 10' });
    chain.mine();
    await waitFor(() => sink.items.length === 2, { timeoutMs: 2_000, what: 'block 11' });
    const orphaned = chain.reorg(2, 3); // 10, 11 orphaned; 10', 11', 12' mined
    await waitFor(() => sink.items.length === 5, { timeoutMs: 2_000, what: 'new branch' });
    expect(hashes(sink)).toEqual([...orphaned, ...chain.canonical.slice(10)].map((b) => b.hash));
    expect(numbers(sink)).toEqual([10, 11, 10, 11, 12]);
    expect(events).toEqual(['head 10 poll', 'head 11 poll', 'reorg 9 10,11', 'head 10 backfill', 'head 11 backfill', 'head 12 poll']);
    expect(head.isCanonical(orphaned[0] as BlockId)).toBe(false);
    expect(await metric(registry, 'lasso_subscription_reorgs_total')).toMatch(/} 1/);
  });

  it('ends its clients with an error when a gap exceeds maxBackfillBlocks, then continues for new clients', async () => {
    const chain = new ScriptedChain(5);
    const { head, sink, events, registry } = setup(chain, { maxBackfillBlocks: 2 });
    await head.ready;
    chain.mine(5);
    await waitFor(() => sink.ended !== undefined, { timeoutMs: 2_000, what: 'end' });
    expect(sink.ended).toMatchObject({ code: -32000, message: expect.stringMatching(/gap of 4 blocks/) });
    expect(sink.items).toEqual([]);
    expect(events).toEqual(['fatal']);
    expect(head.clients.size).toBe(0);
    expect(await metric(registry, 'lasso_subscription_gaps_unfilled_total')).toMatch(/kind="newHeads"} 1/);
    const again = new Sink();
    head.clients.add('c2', again);
    chain.mine();
    await waitFor(() => again.items.length === 1, { timeoutMs: 2_000, what: 'next block' });
    expect(numbers(again)).toEqual([10]);
  });

  it('gives up on a fork deeper than the remembered blocks', async () => {
    const chain = new ScriptedChain(30);
    const { head, sink } = setup(chain, { recentBlocks: 8, maxBackfillBlocks: 64 });
    await head.ready;
    chain.mine(8);
    await waitFor(() => sink.items.length === 8, { timeoutMs: 2_000, what: '8 blocks' });
    chain.reorg(12, 13);
    await waitFor(() => sink.ended !== undefined, { timeoutMs: 2_000, what: 'end' });
    expect(sink.ended?.message).toMatch(/no common ancestor/);
  });
});

describe('LogsStream (fetch mode, scripted chain)', () => {
  it('delivers the logs of each block once, in order, and on a reorg the removals before the new branch', async () => {
    const chain = new ScriptedChain(10);
    const { head, ctx } = setup(chain);
    const logs = new LogsStream(ctx, head, 'logs:{}', {}, () => undefined);
    streams.push(logs);
    const sink = new Sink();
    logs.clients.add('l1', sink);
    await logs.ready;
    chain.mine(3);
    await waitFor(() => sink.items.length === 3, { timeoutMs: 2_000, what: 'logs of 10..12' });
    const orphaned = chain.reorg(2, 3);
    await waitFor(() => sink.items.length === 8, { timeoutMs: 2_000, what: 'removals + new logs' });
    const id = (l: any) => `${Number(l.blockNumber)}:${l.blockHash.slice(2, 10)}:${l.removed}`;
    const tag = (b: ChainBlock, removed: boolean) => `${b.number}:${b.hash.slice(2, 10)}:${removed}`;
    expect(sink.items.map(id)).toEqual([
      tag(chain.canonical[10] as ChainBlock, false),
      ...orphaned.map((b) => tag(b, false)),
      ...orphaned.map((b) => tag(b, true)),
      ...chain.canonical.slice(11).map((b) => tag(b, false)),
    ]);
  });
});
