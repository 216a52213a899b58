import type { ProviderRuntime } from '../providers/provider.js';
import type { UpstreamSubscription } from '../transport/ws-upstream.js';
import { ClientSet } from './client-set.js';
import type { StreamContext } from './context.js';
import { subscribeResult } from './head-stream.js';
import type { HeadListener, HeadStream } from './head-stream.js';

/** Recently delivered transaction hashes remembered for dedupe across a failover. */
const RECENT_TX_HASHES = 10_000;

/**
 * newPendingTransactions: best effort, by design. A mempool is per node and has no canonical order
 * or history to backfill from, so this stream only passes notifications through from the head
 * stream's active provider and re-subscribes on the next one after a failover. Transactions
 * announced while switching (or while polling: there is no HTTP equivalent) are not recovered;
 * hashes are deduplicated over the last 10,000 so a failover does not repeat them.
 */
export class PendingTxStream implements HeadListener {
  readonly clients: ClientSet;
  readonly ready: Promise<void>;

  private sub: { provider: ProviderRuntime; upstream: UpstreamSubscription; token: object } | undefined;
  private subscribing: { provider: string; token: object; promise: Promise<void> } | undefined;
  private readonly recent = new Set<string>();
  private stopped = false;

  constructor(
    private readonly ctx: StreamContext,
    private readonly head: HeadStream,
    readonly key: string,
    private readonly fullTransactions: boolean,
    onClientDropped: (id: string) => void,
  ) {
    this.clients = new ClientSet(onClientDropped);
    head.addDependent(this);
    this.ready = head.ready.then(() => {
      this.onProvider(head.activeProvider);
      return this.subscribing?.promise;
    });
  }

  get activeProvider(): string | undefined {
    return this.sub?.provider.id;
  }

  get hasUpstream(): boolean {
    return this.sub !== undefined;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.head.removeDependent(this);
    this.subscribing = undefined;
    this.drop();
  }

  onProvider(providerId: string | undefined): void {
    if (this.stopped) return;
    if (this.sub && this.sub.provider.id !== providerId) this.drop();
    if (providerId === undefined) {
      this.subscribing = undefined;
      return;
    }
    if (this.sub?.provider.id === providerId || this.subscribing?.provider === providerId) return;
    const provider = this.ctx.providers.find((p) => p.id === providerId);
    if (!provider?.ws) return;
    const token = {};
    this.subscribing = { provider: providerId, token, promise: this.subscribe(provider, token) };
  }

  onHead(): void {
    // Pending transactions do not follow blocks.
  }

  onReorg(): void {
    // Nothing to undo: pending transactions were never part of a block.
  }

  onFatal(): void {
    // A gap in heads does not make the mempool stream wrong.
  }

  private async subscribe(provider: ProviderRuntime, token: object): Promise<void> {
    const ws = provider.ws;
    if (!ws) return;
    const result = await ws.subscribe('newPendingTransactions', this.fullTransactions ? [true] : [], {
      onNotification: (value) => {
        if (this.sub?.token === token || this.subscribing?.token === token) this.onNotification(value);
      },
      onEnd: () => {
        if (this.sub?.token === token) this.drop();
      },
    });
    this.ctx.countSubscribe('newPendingTransactions', provider.id, subscribeResult(result));
    const current = this.subscribing?.token === token && !this.stopped && this.head.activeProvider === provider.id;
    if (this.subscribing?.token === token) this.subscribing = undefined;
    if (!result.ok) return;
    if (!current || !result.subscription.active) {
      void result.subscription.unsubscribe();
      return;
    }
    this.sub = { provider, upstream: result.subscription, token };
    this.ctx.metrics?.upstreamSubscriptions.inc({ chain: this.ctx.chain, kind: 'newPendingTransactions' });
  }

  private drop(): void {
    const sub = this.sub;
    if (!sub) return;
    this.sub = undefined;
    this.ctx.metrics?.upstreamSubscriptions.dec({ chain: this.ctx.chain, kind: 'newPendingTransactions' });
    void sub.upstream.unsubscribe();
  }

  private onNotification(value: unknown): void {
    if (this.stopped) return;
    const hash = typeof value === 'string' ? value : (value as { hash?: unknown } | null)?.hash;
    if (typeof hash === 'string') {
      const key = hash.toLowerCase();
      if (this.recent.has(key)) {
        this.ctx.metrics?.duplicatesDropped.inc({ chain: this.ctx.chain, kind: 'newPendingTransactions' });
        return;
      }
      this.recent.add(key);
      if (this.recent.size > RECENT_TX_HASHES) this.recent.delete(this.recent.values().next().value as string);
    }
    this.clients.deliver(value);
  }
}
