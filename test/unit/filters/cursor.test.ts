import { describe, expect, it } from 'vitest';
import { capRememberedLogs, nextWindow, stepCursor } from '../../../src/filters/cursor.js';
import type { BlockLink, CanonicalSource, DeliveredBlock } from '../../../src/filters/cursor.js';

/** A chain of blocks by height; `reorg(from, tag)` replaces everything from `from` up with a new branch. */
class FakeChain implements CanonicalSource {
  private readonly blocks: BlockLink[] = [];
  /** Heights whose reads fail (no provider answered) or come back null (not there yet). */
  readonly failing = new Set<number>();
  readonly missing = new Set<number>();
  /** What the chain view knows (hash by height). */
  readonly known = new Map<number, string>();
  reads = 0;

  constructor(length: number) {
    this.extend(length, 'a');
  }

  get head(): number {
    return this.blocks.length - 1;
  }

  extend(count: number, branch = 'a'): void {
    for (let i = 0; i < count; i++) {
      const number = this.blocks.length;
      this.blocks.push({ number, hash: hash(branch, number), parentHash: number === 0 ? hash('genesis', 0) : (this.blocks[number - 1] as BlockLink).hash });
    }
  }

  reorg(from: number, branch: string, newHead = this.head): void {
    this.blocks.length = from;
    this.extend(newHead - from + 1, branch);
  }

  async block(number: number): Promise<BlockLink | null> {
    this.reads++;
    if (this.failing.has(number)) throw new Error('no provider answered');
    if (this.missing.has(number)) return null;
    return this.blocks[number] ?? null;
  }

  knownHash(number: number): string | undefined {
    return this.known.get(number);
  }

  at(number: number): DeliveredBlock {
    const b = this.blocks[number] as BlockLink;
    return { number: b.number, hash: b.hash };
  }
}

function hash(branch: string, number: number): string {
  return `0x${branch.repeat(2)}${number.toString(16).padStart(62, '0')}`;
}

const OPTIONS = { maxBlocks: 100, readConcurrency: 3 };

/** Polls like a filter does: step, deliver, move the window. Returns the delivered hashes. */
async function poll(chain: FakeChain, window: DeliveredBlock[], options = OPTIONS): Promise<{ window: DeliveredBlock[]; hashes: string[]; orphaned: string[] }> {
  const step = await stepCursor(window, chain.head, chain, options);
  return {
    window: nextWindow(step.kept, step.added, 16, undefined),
    hashes: step.added.map((b) => b.hash),
    orphaned: step.orphaned.map((b) => b.hash),
  };
}

describe('filter cursor', () => {
  it('delivers every new canonical block once, in order, and nothing when the head has not moved', async () => {
    const chain = new FakeChain(5);
    let window = [chain.at(4)];
    chain.extend(3);
    const first = await poll(chain, window);
    expect(first.hashes).toEqual([5, 6, 7].map((n) => chain.at(n).hash));
    window = first.window;
    chain.known.set(7, chain.at(7).hash);
    const reads = chain.reads;
    const again = await poll(chain, window);
    expect(again.hashes).toEqual([]);
    // The chain view vouches for the tip: no read at all.
    expect(chain.reads).toBe(reads);
  });

  it('on a reorg, orphans the delivered blocks above the fork point and delivers the new branch', async () => {
    const chain = new FakeChain(10);
    const window = [6, 7, 8, 9].map((n) => chain.at(n));
    const orphans = [8, 9].map((n) => chain.at(n).hash);
    chain.reorg(8, 'b', 11);
    const r = await poll(chain, window);
    expect(r.orphaned).toEqual(orphans);
    expect(r.hashes).toEqual([8, 9, 10, 11].map((n) => chain.at(n).hash));
    expect(r.window.map((b) => b.number)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(r.window.at(-1)?.hash).toBe(chain.at(11).hash);
  });

  it('sees a reorg at the tip height even when the head did not move, unless the view vouches for the tip', async () => {
    const chain = new FakeChain(10);
    const window = [7, 8, 9].map((n) => chain.at(n));
    chain.reorg(9, 'c', 9);
    const r = await poll(chain, window);
    expect(r.orphaned).toEqual([window[2]?.hash]);
    expect(r.hashes).toEqual([chain.at(9).hash]);
  });

  it('a reorg deeper than the window orphans the whole window and restarts at its oldest height', async () => {
    const chain = new FakeChain(10);
    const window = [8, 9].map((n) => chain.at(n));
    chain.reorg(5, 'd', 10);
    const r = await poll(chain, window);
    expect(r.orphaned).toEqual(window.map((b) => b.hash));
    expect(r.hashes).toEqual([8, 9, 10].map((n) => chain.at(n).hash));
  });

  it('stops at a gap (failed or empty read) and continues from there on the next poll', async () => {
    const chain = new FakeChain(5);
    let window = [chain.at(4)];
    chain.extend(6);
    chain.failing.add(7);
    const first = await poll(chain, window);
    expect(first.hashes).toEqual([5, 6].map((n) => chain.at(n).hash));
    window = first.window;
    chain.failing.clear();
    chain.missing.add(9);
    const second = await poll(chain, window);
    expect(second.hashes).toEqual([7, 8].map((n) => chain.at(n).hash));
    chain.missing.clear();
    const third = await poll(chain, second.window);
    expect(third.hashes).toEqual([9, 10].map((n) => chain.at(n).hash));
    expect([...first.hashes, ...second.hashes, ...third.hashes]).toEqual([5, 6, 7, 8, 9, 10].map((n) => chain.at(n).hash));
  });

  it('a failed read while looking for the fork point changes nothing', async () => {
    const chain = new FakeChain(10);
    const window = [7, 8, 9].map((n) => chain.at(n));
    chain.reorg(8, 'e', 10);
    chain.failing.add(8);
    const r = await poll(chain, window);
    expect(r).toEqual({ window, hashes: [], orphaned: [] });
  });

  it('moves at most maxBlocks per step', async () => {
    const chain = new FakeChain(2);
    chain.extend(20);
    const r = await poll(chain, [chain.at(1)], { maxBlocks: 5, readConcurrency: 2 });
    expect(r.hashes).toEqual([2, 3, 4, 5, 6].map((n) => chain.at(n).hash));
  });

  it('a block read in the middle of a reorg that does not link ends the step before it', async () => {
    const chain = new FakeChain(6);
    const window = [chain.at(5)];
    chain.extend(4);
    const stale = { ...chain.at(8), parentHash: hash('z', 7) };
    const source: CanonicalSource = { block: async (n) => (n === 8 ? stale : chain.block(n)), knownHash: () => undefined };
    const step = await stepCursor(window, chain.head, source, OPTIONS);
    expect(step.added.map((b) => b.number)).toEqual([6, 7]);
  });

  it('the window keeps at most N blocks, none at or below finalized, and always the tip', () => {
    const blocks = Array.from({ length: 10 }, (_, n) => ({ number: n, hash: `h${n}` }));
    expect(nextWindow(blocks.slice(0, 5), blocks.slice(5), 4, undefined).map((b) => b.number)).toEqual([6, 7, 8, 9]);
    expect(nextWindow(blocks.slice(0, 5), blocks.slice(5), 8, 7).map((b) => b.number)).toEqual([8, 9]);
    expect(nextWindow(blocks, [], 8, 20).map((b) => b.number)).toEqual([9]);
  });

  it('remembers the logs of the newest blocks only, up to a bound', () => {
    const logs = (n: number): Record<string, unknown>[] => Array.from({ length: n }, (_, i) => ({ logIndex: `0x${i.toString(16)}` }));
    const window = [
      { number: 1, hash: 'h1', logs: logs(2) },
      { number: 2, hash: 'h2', logs: logs(1) },
      { number: 3, hash: 'h3', logs: [] },
      { number: 4, hash: 'h4', logs: logs(3) },
    ];
    expect(capRememberedLogs(window, 6)).toEqual(window);
    expect(capRememberedLogs(window, 4)).toEqual([{ number: 1, hash: 'h1' }, window[1], window[2], window[3]]);
    // Once one block no longer fits, older ones are not remembered either (even a smaller one that would).
    expect(capRememberedLogs(window, 3)).toEqual([{ number: 1, hash: 'h1' }, { number: 2, hash: 'h2' }, window[2], window[3]]);
  });
});
