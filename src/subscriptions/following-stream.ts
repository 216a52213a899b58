import type { RpcError } from '../jsonrpc/errors.js';
import type { BlockId, ChainBlock } from './block.js';
import { ClientSet } from './client-set.js';
import type { StreamContext } from './context.js';
import { FollowedSubscription } from './followed-subscription.js';
import type { FollowedSubscriptionOptions } from './followed-subscription.js';
import type { HeadInfo, HeadListener, HeadStream } from './head-stream.js';

/**
 * A stream that keeps its upstream subscription on the head stream's active provider (logs,
 * pending transactions): it registers with the head stream, follows its provider changes, and
 * is `ready` once the first subscribe has settled.
 */
export abstract class FollowingStream<T> implements HeadListener {
  readonly clients: ClientSet;
  readonly ready: Promise<void>;

  protected readonly upstream: FollowedSubscription<T>;
  protected stopped = false;

  constructor(
    protected readonly ctx: StreamContext,
    protected readonly head: HeadStream,
    readonly key: string,
    options: Omit<FollowedSubscriptionOptions<T>, 'onNotification'>,
    onClientDropped: (id: string) => void,
  ) {
    this.clients = new ClientSet(onClientDropped);
    this.upstream = new FollowedSubscription(ctx, head, { ...options, onNotification: (value) => this.onNotification(value) });
    head.addDependent(this);
    this.ready = head.ready.then(() => {
      this.onProvider(head.activeProvider);
      return this.upstream.pending;
    });
  }

  get activeProvider(): string | undefined {
    return this.upstream.provider?.id;
  }

  get hasUpstream(): boolean {
    return this.upstream.provider !== undefined;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.head.removeDependent(this);
    this.upstream.stop();
    this.onStopped();
  }

  onProvider(providerId: string | undefined): void {
    this.upstream.follow(providerId);
  }

  /** A notification of the upstream subscription. */
  protected abstract onNotification(value: unknown): void;
  /** Releases what the stream holds, once, after it stopped following. */
  protected onStopped(): void {}
  abstract onHead(block: ChainBlock, info: HeadInfo): void;
  abstract onReorg(orphaned: BlockId[], forkPoint: number): void;
  abstract onFatal(error: RpcError): void;
}
