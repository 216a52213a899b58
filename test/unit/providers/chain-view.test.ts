import { describe, expect, it } from 'vitest';
import { ChainView } from '../../../src/providers/chain-view.js';
import type { ChainViewChange } from '../../../src/providers/chain-view.js';
import type { ProviderRuntime } from '../../../src/providers/provider.js';

function fakeProvider(id: string): ProviderRuntime {
  return { id, head: { number: undefined, updatedAt: undefined, lastError: undefined } } as unknown as ProviderRuntime;
}

function setup(ids: string[], options: { maxAheadBlocks?: number } = {}) {
  let now = 1_000_000;
  const providers = ids.map(fakeProvider);
  const changes: ChainViewChange[] = [];
  const view = new ChainView({
    providers,
    maxLagBlocks: 3,
    maxAheadBlocks: options.maxAheadBlocks ?? 3,
    staleAfterMs: 10_000,
    minBlockTimeMs: 250,
    maxBlockTimeMs: 30_000,
    now: () => now,
    onChange: (c) => changes.push(c),
  });
  const by = Object.fromEntries(providers.map((p) => [p.id, p])) as Record<string, ProviderRuntime>;
  return { view, by, changes, advance: (ms: number) => (now += ms) };
}

describe('ChainView', () => {
  it('answers no lower than the head another replica answered with, unless that head is far beyond what its providers confirm', () => {
    const { view, by } = setup(['a', 'b']);
    const shared = new Map<string, number>();
    const store = {
      floor: (chain: string) => shared.get(chain),
      noteAnswered: (chain: string, n: number) => void shared.set(chain, Math.max(n, shared.get(chain) ?? 0)),
      refreshed: () => Promise.resolve(),
      published: () => Promise.resolve(),
    };
    view.shareAnsweredHeads(store, 'main');
    view.observeHead(by['a']!, 100);
    view.observeHead(by['b']!, 100);
    expect(view.answerHead()).toBe(100);
    shared.set('main', 102); // another replica's providers were a poll ahead
    expect(view.answerHead()).toBe(102);
    view.noteAnswered(103);
    expect(shared.get('main')).toBe(103);
    shared.set('main', 5000); // a chain restarted under the same keys: not a head this chain has
    expect(view.answerHead()).toBe(103);
  });

  it('a liar far ahead is an outlier, not the head the honest providers lag behind', () => {
    const { view, by, changes } = setup(['a', 'b', 'c', 'liar']);
    view.observeHead(by['a']!, 100);
    view.observeHead(by['b']!, 100);
    view.observeHead(by['c']!, 98);
    view.observeHead(by['liar']!, 1100);
    expect(view.corroboratedHead()).toBe(100);
    expect(view.answerHead()).toBe(100);
    expect(view.isOutlier(by['liar']!)).toBe(true);
    expect(view.outlierReason('liar')).toMatch(/1000 blocks ahead/);
    expect(view.isLagging(by['a']!)).toBe(false);
    expect(view.isLagging(by['c']!)).toBe(false);
    expect(changes).toContainEqual(expect.objectContaining({ type: 'outlier', providerId: 'liar' }));
  });

  it('waits for a second provider at start, so a liar that answers first is not believed', () => {
    const { view, by } = setup(['liar', 'a', 'b']);
    view.observeHead(by['liar']!, 5000);
    expect(view.corroboratedHead()).toBeUndefined();
    view.observeHead(by['a']!, 10);
    expect(view.corroboratedHead()).toBe(10);
    view.observeHead(by['b']!, 10);
    expect(view.corroboratedHead()).toBe(10);
    expect(view.isOutlier(by['liar']!)).toBe(true);
  });

  it('follows the first honest provider to see a new block at a plausible step', () => {
    const { view, by, advance } = setup(['a', 'b', 'c']);
    view.observeHead(by['a']!, 10);
    view.observeHead(by['b']!, 10);
    view.observeHead(by['c']!, 10);
    advance(1_000);
    view.observeHead(by['a']!, 11);
    expect(view.corroboratedHead()).toBe(11);
  });

  it('with two providers, one lagging, follows the one ahead once the other confirms its earlier heads', () => {
    const { view, by, advance } = setup(['fast', 'slow']);
    view.observeHead(by['fast']!, 10);
    view.observeHead(by['slow']!, 8);
    expect(view.corroboratedHead()).toBe(8);
    for (let n = 11; n <= 16; n++) {
      advance(1_000);
      view.observeHead(by['fast']!, n);
      view.observeHead(by['slow']!, n - 2);
    }
    expect(view.corroboratedHead()).toBe(16);
  });

  it('a provider alone cannot jump the head further than the chain can have moved', () => {
    const { view, by, advance } = setup(['a', 'b'], { maxAheadBlocks: 1000 });
    view.observeHead(by['a']!, 10);
    view.observeHead(by['b']!, 10);
    advance(100);
    view.observeHead(by['a']!, 500);
    expect(view.corroboratedHead()).toBe(10);
  });

  it('the answer head never decreases: answered and delivered heads are a floor', () => {
    const { view, by } = setup(['a', 'b']);
    view.observeHead(by['a']!, 10);
    view.observeHead(by['b']!, 10);
    view.noteDelivered(12, '0x12');
    expect(view.answerHead()).toBe(12);
    view.observeHead(by['a']!, 9);
    view.observeHead(by['b']!, 9);
    expect(view.answerHead()).toBe(12);
  });

  it('sees a reorg as a different hash at a known height and forgets the old branch above it', () => {
    const { view, by, changes } = setup(['a']);
    view.observeBlock(by['a']!, 5, '0xaa');
    view.observeBlock(by['a']!, 6, '0xbb');
    const seen: number[] = [];
    view.onReorg((n) => seen.push(n));
    view.observeBlock(by['a']!, 5, '0xcc');
    expect(seen).toEqual([5]);
    expect(view.hashAt(6)).toBeUndefined();
    expect(changes).toContainEqual({ type: 'reorg', number: 5, depth: 2, oldHash: '0xaa', newHash: '0xcc' });
  });

  it('an outlier that agrees again is cleared', () => {
    const { view, by, changes } = setup(['a', 'b', 'c']);
    view.observeHead(by['a']!, 10);
    view.observeHead(by['b']!, 10);
    view.observeHead(by['c']!, 1010);
    expect(view.isOutlier(by['c']!)).toBe(true);
    view.observeHead(by['c']!, 10);
    expect(view.isOutlier(by['c']!)).toBe(false);
    expect(changes.map((c) => c.type)).toEqual(['outlier', 'outlier_cleared']);
  });

  it('finality comes from providers that are not outliers and never exceeds the head', () => {
    const { view, by } = setup(['a', 'b', 'liar']);
    view.observeHead(by['a']!, 100);
    view.observeHead(by['b']!, 100);
    view.observeHead(by['liar']!, 2000);
    view.observeFinality(by['liar']!, 1990, 1980);
    view.observeFinality(by['a']!, 90, 80);
    expect(view.safe()).toBe(90);
    expect(view.finalized()).toBe(80);
  });
});
