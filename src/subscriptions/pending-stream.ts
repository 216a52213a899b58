import type { StreamContext } from './context.js';
import { FollowingStream } from './following-stream.js';
import type { HeadStream } from './head-stream.js';

/** Recently delivered transaction hashes remembered for dedupe across a failover. */
const RECENT_TX_HASHES = 10_000;

/**
 * newPendingTransactions: best effort, by design. A mempool is per node and has no canonical order
 * or history to backfill from, so this stream only passes notifications through from the head
 * stream's active provider and re-subscribes on the next one after a failover. Transactions
 * announced while switching (or while polling: there is no HTTP equivalent) are not recovered;
 * hashes are deduplicated over the last 10,000 so a failover does not repeat them.
 */
export class PendingTxStream extends FollowingStream<undefined> {
  private readonly recent = new Set<string>();

  constructor(ctx: StreamContext, head: HeadStream, key: string, fullTransactions: boolean, onClientDropped: (id: string) => void) {
    super(ctx, head, key, { kind: 'newPendingTransactions', params: fullTransactions ? [true] : [], established: () => undefined }, onClientDropped);
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

  protected onNotification(value: unknown): void {
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
