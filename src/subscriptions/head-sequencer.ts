import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { errorMessage } from '../error-message.js';
import { BlockRing } from './block-ring.js';
import type { BlockId, ChainBlock } from './block.js';
import type { ClientSet } from './client-set.js';
import { delay, retryDelayMs } from './context.js';
import type { StreamContext } from './context.js';
import { StreamStoppedError, UnfillableGapError } from './errors.js';
import type { HeadInfo, HeadListener, HeadSource } from './head-stream.js';

/** A head as it reached Lasso, waiting to be placed. */
export interface SequencedHead {
  block: ChainBlock;
  source: HeadSource;
  provider: string | undefined;
}

export interface HeadSequencerDeps {
  /** Reads, settings, metrics, logs and events of the chain. */
  ctx: StreamContext;
  /** The newHeads clients: every delivered header goes to them. */
  clients: ClientSet;
  /** Streams that follow the heads (told of heads, reorgs and unfillable gaps, in order). */
  dependents: ReadonlySet<HeadListener>;
  /** The provider whose live heads may reorg the delivered chain (the active subscription's). */
  trustedProvider(): string | undefined;
  isStopped(): boolean;
}

/** Live heads waiting while backfill runs; beyond this the oldest are dropped (the gap filler fetches them again). */
const MAX_INBOX = 10_000;
/** Parallel eth_getBlockByNumber reads when filling a gap. */
const BACKFILL_CONCURRENCY = 8;

/**
 * Turns heads from any source (live, HTTP backfill, HTTP polls) into one ordered, duplicate-free
 * canonical sequence, knowing nothing of providers or connections: a gap is filled over HTTP
 * (eth_getBlockByNumber, links checked by parentHash), a head that does not extend the tip is
 * walked back by parentHash to the fork point and the new branch is delivered from there. One
 * queue consumed by one loop keeps delivery sequential; heads that arrive during a backfill wait
 * their turn.
 */
export class HeadSequencer {
  private readonly ring: BlockRing;
  private readonly inbox: SequencedHead[] = [];
  private pumping = false;

  constructor(private readonly deps: HeadSequencerDeps) {
    this.ring = new BlockRing(deps.ctx.config.recentBlocks);
  }

  private get ctx(): StreamContext {
    return this.deps.ctx;
  }

  /** Queues a head; heads are handled one at a time, in arrival order. */
  push(item: SequencedHead): void {
    this.inbox.push(item);
    if (this.inbox.length > MAX_INBOX) this.inbox.shift();
    void this.pump();
  }

  /** Takes `block` as the tip without delivering it, unless a tip is already known. */
  setBaseline(block: ChainBlock): void {
    if (!this.ring.tip()) this.ring.push(block);
  }

  /** Drops the heads still waiting (the stream stopped). */
  clear(): void {
    this.inbox.length = 0;
  }

  /** Last delivered (or baseline) head. */
  tip(): BlockId | undefined {
    return this.ring.tip();
  }

  /** Whether this block is on the canonical chain as delivered (within the remembered window). */
  isCanonical(block: BlockId): boolean {
    return this.ring.hashAt(block.number) === block.hash;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.inbox.length > 0 && !this.deps.isStopped()) {
        const item = this.inbox.shift() as SequencedHead;
        try {
          await this.handle(item);
        } catch (err) {
          if (err instanceof StreamStoppedError) return;
          if (err instanceof UnfillableGapError) this.giveUp(item, err);
          else this.ctx.logger.warn({ chain: this.ctx.chain, err: errorMessage(err) }, 'newHeads processing failed');
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async handle(item: SequencedHead): Promise<void> {
    const { block } = item;
    const tip = this.ring.tip();
    if (tip === undefined) {
      this.apply(block.number - 1, [block], item);
      return;
    }
    if (this.ring.hashAt(block.number) === block.hash) {
      // Counted for live notifications only: our own HTTP catch-up reads overlap on purpose.
      if (item.source === 'live') this.ctx.metrics?.duplicatesDropped.inc({ chain: this.ctx.chain, kind: 'newHeads' });
      return;
    }
    if (block.number <= tip.number) {
      // A different block at a height already delivered: a reorg, but only the live stream of the
      // active provider is trusted with it; HTTP answers at that height may come from a laggard.
      const trusted = item.source === 'live' && item.provider !== undefined && item.provider === this.deps.trustedProvider();
      const oldest = this.ring.oldest() ?? 0;
      if (!trusted || block.number <= oldest) return;
    }
    if (block.number === tip.number + 1 && block.parentHash === tip.hash) {
      this.apply(tip.number, [block], item);
      return;
    }
    const { forkPoint, blocks } = await this.resolveBranch(block, tip);
    if (this.deps.isStopped()) throw new StreamStoppedError();
    this.apply(forkPoint, blocks, item);
  }

  /**
   * The blocks from just above the fork point (or the tip, without a reorg) up to `head`, linked by
   * parentHash. A gap is first fetched forward by number (parallel); if the links do not hold, the
   * branch is walked back from `head` by parentHash until it meets a remembered block.
   */
  private async resolveBranch(head: ChainBlock, tip: BlockId): Promise<{ forkPoint: number; blocks: ChainBlock[] }> {
    const { maxBackfillBlocks, backfillTimeoutMs } = this.ctx.config;
    const deadline = this.ctx.now() + backfillTimeoutMs;
    const byHash = new Map<string, ChainBlock>();
    if (head.number > tip.number + 1) {
      const missing = head.number - tip.number - 1;
      if (missing > maxBackfillBlocks) {
        throw new UnfillableGapError('gap_too_large', `gap of ${missing} blocks (${tip.number + 1}..${head.number - 1}) exceeds maxBackfillBlocks ${maxBackfillBlocks}`);
      }
      const fetched = await this.fetchRange(tip.number + 1, head.number - 1, deadline);
      const chain = [...fetched, head];
      let linked = chain[0]?.parentHash === tip.hash;
      for (let i = 1; linked && i < chain.length; i++) linked = chain[i]?.parentHash === chain[i - 1]?.hash;
      if (linked) return { forkPoint: tip.number, blocks: chain };
      for (const b of fetched) byHash.set(b.hash, b);
    }
    const blocks = [head];
    let cursor = head;
    for (;;) {
      const parentNumber = cursor.number - 1;
      if (this.ring.hashAt(parentNumber) === cursor.parentHash) return { forkPoint: parentNumber, blocks };
      const oldest = this.ring.oldest() ?? tip.number;
      if (parentNumber < oldest || blocks.length > maxBackfillBlocks + this.ctx.config.recentBlocks) {
        throw new UnfillableGapError('fork_too_deep', `no common ancestor with the delivered chain above block ${oldest}`);
      }
      const parentHash = cursor.parentHash;
      const parent = byHash.get(parentHash) ?? (await this.fetchWithRetry((attempt) => this.ctx.reader.blockByHash(parentHash, attempt), deadline, `block ${parentHash}`));
      if (parent.hash !== cursor.parentHash || parent.number !== parentNumber) {
        throw new UnfillableGapError('not_canonical', `provider answered block ${parent.number} ${parent.hash} for parent ${cursor.parentHash}`);
      }
      blocks.unshift(parent);
      cursor = parent;
    }
  }

  private async fetchRange(from: number, to: number, deadline: number): Promise<ChainBlock[]> {
    const out: ChainBlock[] = new Array(to - from + 1);
    let next = from;
    const worker = async (): Promise<void> => {
      while (next <= to) {
        const n = next++;
        out[n - from] = await this.fetchWithRetry((attempt) => this.ctx.reader.blockByNumber(n, attempt), deadline, `block ${n}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BACKFILL_CONCURRENCY, to - from + 1) }, worker));
    return out;
  }

  private async fetchWithRetry(read: (attempt: number) => Promise<ChainBlock | null>, deadline: number, what: string): Promise<ChainBlock> {
    let lastError = 'not found';
    for (let attempt = 0; ; attempt++) {
      if (this.deps.isStopped()) throw new StreamStoppedError();
      try {
        const block = await read(attempt);
        if (block) return block;
        lastError = 'not found';
      } catch (err) {
        lastError = errorMessage(err);
      }
      if (this.ctx.now() >= deadline) throw new UnfillableGapError('timeout', `backfill of ${what} failed: ${lastError}`);
      await delay(retryDelayMs(attempt));
    }
  }

  /** Delivers `blocks` (ordered, linked) above `forkPoint`; a fork point below the tip is a reorg. */
  private apply(forkPoint: number, blocks: ChainBlock[], item: SequencedHead): void {
    const { chain, metrics } = this.ctx;
    const tip = this.ring.tip();
    if (tip && forkPoint < tip.number) {
      const orphaned = this.ring.truncateAbove(forkPoint);
      metrics?.reorgs.inc({ chain });
      metrics?.lastReorgDepth.set({ chain }, orphaned.length);
      const newHead = blocks.at(-1)?.number;
      this.ctx.logger.info({ chain, forkPoint, depth: orphaned.length, newHead }, 'reorg');
      for (const d of this.deps.dependents) d.onReorg(orphaned, forkPoint);
    }
    let filled: { from: number; to: number; blocks: number } | undefined;
    for (const block of blocks) {
      this.ring.push(block);
      const source: HeadSource = block === item.block ? item.source : 'backfill';
      if (source === 'backfill') {
        metrics?.backfilledBlocks.inc({ chain, kind: 'newHeads' });
        filled = filled ? { ...filled, to: block.number, blocks: filled.blocks + 1 } : { from: block.number, to: block.number, blocks: 1 };
      }
      this.ctx.noteDelivered(block);
      this.deps.clients.deliver(block.header);
      const info: HeadInfo = { source, provider: source === 'live' ? item.provider : undefined };
      for (const d of this.deps.dependents) d.onHead(block, info);
    }
    if (filled) this.ctx.events?.emit({ type: 'gap_fill', chain, kind: 'newHeads', ...filled });
  }

  /** A gap that cannot be filled: end every client (no silent hole), re-anchor on the new head. */
  private giveUp(item: SequencedHead, err: UnfillableGapError): void {
    const { chain } = this.ctx;
    this.ctx.metrics?.gapsUnfilled.inc({ chain, kind: 'newHeads' });
    this.ctx.logger.error({ chain, reason: err.reason, err: err.message }, 'newHeads gap could not be filled; ending subscriptions');
    const error = new RpcError(RpcErrorCode.ServerError, `subscription ended: a gap in the block stream could not be filled (${err.message}); subscribe again`, {
      reason: err.reason,
    });
    this.deps.clients.endAll(error);
    for (const d of this.deps.dependents) d.onFatal(error);
    this.ring.clear();
    this.ring.push(item.block);
  }
}
