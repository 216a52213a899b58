import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChainView } from '../../../src/providers/chain-view.js';
import { parseHeadNotification } from '../../../src/providers/head-subscription.js';
import type { HeadChannel } from '../../../src/providers/head-subscription.js';
import { HeadTracker } from '../../../src/providers/head-tracker.js';
import type { ProviderRuntime } from '../../../src/providers/provider.js';
import type { UpstreamSubscriptionListener, WsStateChange } from '../../../src/transport/ws-upstream.js';

/** A WebSocket channel whose newHeads subscription the test drives by hand. */
class FakeChannel extends EventEmitter<{ state: [WsStateChange] }> implements HeadChannel {
  isOpen = true;
  subscribes = 0;
  private listener: UpstreamSubscriptionListener | undefined;
  private current: { id: string; active: boolean; unsubscribe(): Promise<void> } | undefined;

  waitOpen(): Promise<boolean> {
    return Promise.resolve(this.isOpen);
  }

  subscribe(_kind: string, _params: readonly unknown[], listener: UpstreamSubscriptionListener) {
    this.subscribes++;
    this.listener = listener;
    const subscription = { id: `0x${this.subscribes}`, active: true, unsubscribe: async () => void (subscription.active = false) };
    this.current = subscription;
    return Promise.resolve({ ok: true as const, subscription });
  }

  announce(number: number, hashByte: string): void {
    this.listener?.onNotification({ number: `0x${number.toString(16)}`, hash: `0x${hashByte.repeat(64)}`, parentHash: `0x${'0'.repeat(64)}` });
  }

  drop(): void {
    this.isOpen = false;
    if (this.current) this.current.active = false;
    this.listener?.onEnd('closed_by_peer');
    this.emit('state', { from: 'open', to: 'backoff', reason: 'closed_by_peer' });
  }

  reopen(): void {
    this.isOpen = true;
    this.emit('state', { from: 'connecting', to: 'open', reason: 'connected' });
  }
}

function fakeProvider(id: string, head: () => number): ProviderRuntime & { polls: number } {
  const provider = {
    id,
    polls: 0,
    head: { number: undefined, updatedAt: undefined, lastError: undefined },
    http: {
      send: ({ method }: { method: string }) => {
        if (method === 'eth_blockNumber') provider.polls++;
        return Promise.resolve(method === 'eth_blockNumber' ? { type: 'result', result: `0x${head().toString(16)}` } : { type: 'result', result: null });
      },
    },
  };
  return provider as unknown as ProviderRuntime & { polls: number };
}

function setup() {
  let chainHead = 10;
  const ws = fakeProvider('ws', () => chainHead);
  const polled = fakeProvider('polled', () => chainHead);
  const providers = [ws, polled];
  const view = new ChainView({ providers, maxLagBlocks: 3, maxAheadBlocks: 3, staleAfterMs: 10_000, minBlockTimeMs: 250, maxBlockTimeMs: 30_000, now: Date.now });
  const channel = new FakeChannel();
  const tracker = new HeadTracker({
    providers,
    view,
    maxIntervalMs: 1_000,
    minIntervalMs: 1_000,
    finalityEvery: 1_000,
    onUpdate: () => {},
    headChannel: (p) => (p === ws ? channel : undefined),
  });
  return { view, tracker, channel, ws, polled, setHead: (n: number) => (chainHead = n) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('HeadTracker with newHeads subscriptions', () => {
  it('feeds each announced head and its hash to the chain view, and a replaced hash is a reorg', async () => {
    const { view, tracker, channel, ws } = setup();
    const reorgs: number[] = [];
    view.onReorg((n) => reorgs.push(n));
    tracker.start();
    await vi.waitFor(() => expect(tracker.isSubscribed(ws)).toBe(true));
    channel.announce(11, 'a');
    expect(ws.head.number).toBe(11);
    expect(view.hashAt(11)).toBe(`0x${'a'.repeat(64)}`);
    channel.announce(11, 'b');
    expect(view.hashAt(11)).toBe(`0x${'b'.repeat(64)}`);
    expect(reorgs).toEqual([11]);
    tracker.stop();
  });

  it('slows the polls of a subscribed provider, and polls at once and at full pace when its subscription is lost', async () => {
    vi.useFakeTimers();
    const { tracker, channel, ws, polled, setHead } = setup();
    tracker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(tracker.isSubscribed(ws)).toBe(true);
    ws.polls = 0;
    polled.polls = 0;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(polled.polls).toBe(10);
    expect(ws.polls).toBeLessThanOrEqual(6);
    // A liveness poll that disagrees does not replace the head newHeads gave.
    channel.announce(12, 'd');
    setHead(1012);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ws.polls).toBeGreaterThanOrEqual(6);
    expect(ws.head.number).toBe(12);
    setHead(12);

    ws.polls = 0;
    channel.drop();
    expect(tracker.isSubscribed(ws)).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.polls).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(ws.polls).toBe(4);

    channel.reopen();
    await vi.advanceTimersByTimeAsync(0);
    expect(tracker.isSubscribed(ws)).toBe(true);
    expect(channel.subscribes).toBe(2);
    tracker.stop();
  });

  it('counts a poll before the first announcement, and when announcements fall behind the chain (a silent stall)', async () => {
    vi.useFakeTimers();
    const { tracker, channel, ws, polled, setHead } = setup();
    tracker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(tracker.isSubscribed(ws)).toBe(true);
    setHead(11); // mined before any announcement reached us
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ws.head.number).toBe(11);
    channel.announce(11, 'e');
    setHead(12); // the other provider moves on, the subscription stays silent
    await vi.advanceTimersByTimeAsync(4_000);
    expect(polled.head.number).toBe(12);
    expect(ws.head.number).toBe(12);
    tracker.stop();
  });

  it('stops the subscription with the tracker', async () => {
    const { tracker, channel, ws } = setup();
    tracker.start();
    await vi.waitFor(() => expect(tracker.isSubscribed(ws)).toBe(true));
    tracker.stop();
    channel.announce(50, 'c');
    expect(ws.head.number).not.toBe(50);
    channel.reopen();
    expect(channel.subscribes).toBe(1);
  });

  it('ignores malformed notifications', () => {
    expect(parseHeadNotification({ number: '0x10', hash: '0x12' })).toBeUndefined();
    expect(parseHeadNotification(null)).toBeUndefined();
    expect(parseHeadNotification({ number: '0x10', hash: `0x${'A'.repeat(64)}` })).toEqual({ number: 16, hash: `0x${'a'.repeat(64)}` });
  });
});
