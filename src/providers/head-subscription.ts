import type { SubscribeResult, UpstreamSubscription, UpstreamSubscriptionListener, WsStateChange } from '../transport/ws-upstream.js';

/** What a head subscription needs of a provider's WebSocket channel (WsUpstream; a fake in tests). */
export interface HeadChannel {
  waitOpen(timeoutMs: number): Promise<boolean>;
  subscribe(kind: string, params: readonly unknown[], listener: UpstreamSubscriptionListener, options?: { timeoutMs?: number }): Promise<SubscribeResult>;
  on(event: 'state', listener: (change: WsStateChange) => void): unknown;
  off(event: 'state', listener: (change: WsStateChange) => void): unknown;
}

export interface HeadSubscriptionOptions {
  channel: HeadChannel;
  /** A head the provider announced: its number and hash. */
  onHead: (number: number, hash: string) => void;
  /** The subscription became live (true) or was lost (false). */
  onHealth: (healthy: boolean) => void;
  /** Deadline of one eth_subscribe (and of the wait for the channel to open), in ms. */
  subscribeTimeoutMs: number;
}

const QUANTITY = /^0x[0-9a-fA-F]{1,16}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Number and lowercased hash of a newHeads notification; undefined when either is missing or malformed. */
export function parseHeadNotification(value: unknown): { number: number; hash: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { number, hash } = value as { number?: unknown; hash?: unknown };
  if (typeof number !== 'string' || !QUANTITY.test(number) || typeof hash !== 'string' || !HASH.test(hash)) return undefined;
  return { number: Number.parseInt(number, 16), hash: hash.toLowerCase() };
}

/**
 * One provider's own `newHeads` subscription, for the chain view: it learns the provider's head
 * and the hash at each height as soon as the provider announces them. Held on the provider's
 * shared WebSocket channel (the one client subscriptions use), and taken again whenever the
 * channel reopens; while it is down, `onHealth(false)` lets the head tracker poll instead.
 */
export class HeadSubscription {
  private subscription: UpstreamSubscription | undefined;
  private heard: number | undefined;
  private subscribing = false;
  private stopped = false;
  private readonly onState = (change: WsStateChange): void => {
    if (change.to === 'open') void this.subscribe();
  };

  constructor(private readonly options: HeadSubscriptionOptions) {}

  get healthy(): boolean {
    return this.subscription?.active === true;
  }

  /** The last head the live subscription announced; undefined while it is down or has announced none yet. */
  get liveHead(): number | undefined {
    return this.healthy ? this.heard : undefined;
  }

  start(): void {
    this.options.channel.on('state', this.onState);
    void this.subscribe();
  }

  stop(): void {
    this.stopped = true;
    this.options.channel.off('state', this.onState);
    const subscription = this.subscription;
    this.subscription = undefined;
    if (subscription?.active) void subscription.unsubscribe();
  }

  private async subscribe(): Promise<void> {
    if (this.stopped || this.subscribing || this.healthy) return;
    this.subscribing = true;
    try {
      const { channel, subscribeTimeoutMs } = this.options;
      if (!(await channel.waitOpen(subscribeTimeoutMs)) || this.stopped) return;
      const result = await channel.subscribe('newHeads', [], this.listener(), { timeoutMs: subscribeTimeoutMs });
      if (!result.ok) return; // retried when the channel next reopens; polls cover the provider meanwhile
      if (this.stopped) {
        void result.subscription.unsubscribe();
        return;
      }
      if (!result.subscription.active) return; // lost with its connection already; the reopen subscribes again
      this.subscription = result.subscription;
      this.heard = undefined;
      this.options.onHealth(true);
    } finally {
      this.subscribing = false;
    }
  }

  private listener(): UpstreamSubscriptionListener {
    return {
      onNotification: (value) => {
        const head = parseHeadNotification(value);
        if (head === undefined || this.stopped) return;
        this.heard = head.number;
        this.options.onHead(head.number, head.hash);
      },
      onEnd: () => {
        this.subscription = undefined;
        if (!this.stopped) this.options.onHealth(false);
      },
    };
  }
}
