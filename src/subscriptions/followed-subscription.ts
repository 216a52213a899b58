import type { ProviderRuntime } from '../providers/provider.js';
import type { AttemptOutcome } from '../transport/outcome.js';
import type { UpstreamSubscription } from '../transport/ws-upstream.js';
import type { StreamContext } from './context.js';
import { subscribeResult } from './head-stream.js';
import type { HeadStream } from './head-stream.js';

export interface FollowedSubscriptionOptions<T> {
  /** `eth_subscribe` kind, also the metric label. */
  kind: string;
  params: readonly unknown[];
  /** A notification of the current subscription (or of one being established). */
  onNotification(value: unknown): void;
  /** Data kept with a subscription once it is established (read back through `data`). */
  established(provider: ProviderRuntime): T;
  /** The subscribe failed on the provider the head stream still uses. */
  onFailed?(provider: ProviderRuntime, outcome: AttemptOutcome): void;
}

/**
 * One upstream subscription kept on the head stream's active provider, for the streams that follow
 * it (logs, pending transactions): subscribes when that provider changes and drops the old one.
 * A subscribe that completes after the provider changed again, or after stop(), is unsubscribed
 * at once; a token per attempt keeps a dropped subscription's late notifications out.
 */
export class FollowedSubscription<T> {
  private current: { provider: ProviderRuntime; upstream: UpstreamSubscription; token: object; data: T } | undefined;
  private subscribing: { provider: string; token: object; promise: Promise<void> } | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: StreamContext,
    private readonly head: HeadStream,
    private readonly options: FollowedSubscriptionOptions<T>,
  ) {}

  /** Provider of the established subscription. */
  get provider(): ProviderRuntime | undefined {
    return this.current?.provider;
  }

  /** What `established` returned for the current subscription. */
  get data(): T | undefined {
    return this.current?.data;
  }

  /** Settles when the subscribe in progress (if any) has completed. */
  get pending(): Promise<void> | undefined {
    return this.subscribing?.promise;
  }

  /** Moves the subscription to `providerId` (undefined: none, e.g. while polling). */
  follow(providerId: string | undefined): void {
    if (this.stopped) return;
    if (this.current && this.current.provider.id !== providerId) this.drop();
    if (providerId === undefined) {
      this.subscribing = undefined;
      return;
    }
    if (this.current?.provider.id === providerId || this.subscribing?.provider === providerId) return;
    const provider = this.ctx.providers.find((p) => p.id === providerId);
    if (!provider?.ws) return;
    const token = {};
    this.subscribing = { provider: providerId, token, promise: this.subscribe(provider, token) };
  }

  stop(): void {
    this.stopped = true;
    this.subscribing = undefined;
    this.drop();
  }

  private async subscribe(provider: ProviderRuntime, token: object): Promise<void> {
    const ws = provider.ws;
    if (!ws) return;
    const { kind, params } = this.options;
    const result = await ws.subscribe(kind, params, {
      onNotification: (value) => {
        if (this.current?.token === token || this.subscribing?.token === token) this.options.onNotification(value);
      },
      onEnd: () => {
        if (this.current?.token === token) this.drop();
      },
    });
    this.ctx.countSubscribe(kind, provider.id, subscribeResult(result));
    const wanted = this.subscribing?.token === token && !this.stopped && this.head.activeProvider === provider.id;
    if (this.subscribing?.token === token) this.subscribing = undefined;
    if (!result.ok) {
      if (wanted) this.options.onFailed?.(provider, result.outcome);
      return;
    }
    if (!wanted || !result.subscription.active) {
      void result.subscription.unsubscribe();
      return;
    }
    this.current = { provider, upstream: result.subscription, token, data: this.options.established(provider) };
    this.ctx.metrics?.upstreamSubscriptions.inc({ chain: this.ctx.chain, kind });
  }

  private drop(): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    this.ctx.metrics?.upstreamSubscriptions.dec({ chain: this.ctx.chain, kind: this.options.kind });
    void current.upstream.unsubscribe();
  }
}
