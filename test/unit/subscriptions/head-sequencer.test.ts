/**
 * HeadSequencer alone: heads pushed by hand against a scripted chain, no providers or sockets.
 * Each test waits for the events it expects (the sequencer reads gaps and branches asynchronously).
 */
import { describe, expect, it } from 'vitest';
import type { ChainBlock } from '../../../src/subscriptions/block.js';
import { ClientSet } from '../../../src/subscriptions/client-set.js';
import { HeadSequencer } from '../../../src/subscriptions/head-sequencer.js';
import type { SequencedHead } from '../../../src/subscriptions/head-sequencer.js';
import type { HeadListener } from '../../../src/subscriptions/head-stream.js';
import { ScriptedChain, Sink, scriptedContext } from '../../helpers/scripted-chain.js';
import { waitFor } from '../../helpers/wait.js';

function setup(chain: ScriptedChain, config: Record<string, unknown> = {}, trusted: string | undefined = 'p1') {
  const ctx = scriptedContext(chain, { backfillTimeoutMs: 1_000, ...config });
  const clients = new ClientSet(() => undefined);
  const sink = new Sink();
  clients.add('c1', sink);
  const events: string[] = [];
  const listener: HeadListener = {
    onProvider: () => undefined,
    onHead: (b, info) => events.push(`head ${b.number} ${info.source}`),
    onReorg: (orphaned, fork) => events.push(`reorg ${fork} ${orphaned.map((o) => o.number).join(',')}`),
    onFatal: (e) => events.push(`fatal ${(e.data as { reason?: string } | undefined)?.reason}`),
  };
  const sequencer = new HeadSequencer({ ctx, clients, dependents: new Set([listener]), trustedProvider: () => trusted, isStopped: () => false });
  const live = (block: ChainBlock, provider = 'p1'): SequencedHead => ({ block, source: 'live', provider });
  const until = (what: string, n: number) => waitFor(() => events.length >= n, { timeoutMs: 5_000, what });
  return { sequencer, events, sink, live, until };
}

describe('HeadSequencer', () => {
  it('delivers the next head and drops one it already delivered', async () => {
    const chain = new ScriptedChain(3);
    const { sequencer, events, live, until } = setup(chain);
    sequencer.setBaseline(chain.head());
    chain.mine();
    sequencer.push(live(chain.head()));
    sequencer.push(live(chain.head()));
    chain.mine();
    sequencer.push(live(chain.head()));
    await until('two heads', 2);
    expect(events).toEqual(['head 3 live', 'head 4 live']);
    expect(sequencer.tip()?.number).toBe(4);
  });

  it('fills a gap over HTTP, in order, before the head that revealed it', async () => {
    const chain = new ScriptedChain(3);
    const { sequencer, events, sink, live, until } = setup(chain);
    sequencer.setBaseline(chain.head());
    chain.mine(4);
    sequencer.push(live(chain.head()));
    await until('four heads', 4);
    expect(events).toEqual(['head 3 backfill', 'head 4 backfill', 'head 5 backfill', 'head 6 live']);
    expect(sink.items).toHaveLength(4);
  });

  it('walks a trusted live head back to the fork point: reorg notice first, then the new branch', async () => {
    const chain = new ScriptedChain(6);
    const { sequencer, events, live, until } = setup(chain);
    sequencer.setBaseline(chain.canonical[3] as ChainBlock);
    sequencer.push(live(chain.canonical[4] as ChainBlock));
    sequencer.push(live(chain.canonical[5] as ChainBlock));
    await until('two heads', 2);
    chain.reorg(2, 2);
    sequencer.push(live(chain.head()));
    await until('reorg and the new branch', 5);
    expect(events.slice(2)).toEqual(['reorg 3 4,5', 'head 4 backfill', 'head 5 live']);
    expect(sequencer.isCanonical(chain.head())).toBe(true);
  });

  it('leaves a competing block at a delivered height alone unless the trusted provider sent it live', async () => {
    const chain = new ScriptedChain(5);
    const { sequencer, events, live, until } = setup(chain);
    sequencer.setBaseline(chain.canonical[2] as ChainBlock);
    sequencer.push(live(chain.canonical[3] as ChainBlock));
    sequencer.push(live(chain.canonical[4] as ChainBlock));
    await until('two heads', 2);
    chain.reorg(1, 1);
    sequencer.push({ block: chain.head(), source: 'poll', provider: undefined });
    sequencer.push(live(chain.head(), 'p2'));
    chain.mine();
    sequencer.push(live(chain.head(), 'p2'));
    // Neither competing block reorgs; the next head does not link to the tip, so its branch is walked.
    await until('the branch of the next head', 5);
    expect(events.slice(2)).toEqual(['reorg 3 4', 'head 4 backfill', 'head 5 live']);
  });

  it('ends the stream on a gap larger than maxBackfillBlocks and re-anchors on the new head', async () => {
    const chain = new ScriptedChain(2);
    const { sequencer, events, live, until } = setup(chain, { maxBackfillBlocks: 2 });
    sequencer.setBaseline(chain.head());
    chain.mine(5);
    sequencer.push(live(chain.head()));
    await until('fatal', 1);
    expect(events).toEqual(['fatal gap_too_large']);
    expect(sequencer.tip()?.number).toBe(6);
  });
});
