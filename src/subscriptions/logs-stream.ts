import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import type { BlockId, ChainBlock } from './block.js';
import { delay, retryDelayMs } from './context.js';
import type { StreamContext } from './context.js';
import { StreamStoppedError, UnfillableGapError } from './errors.js';
import { logMatches, upstreamFilter } from './filter.js';
import type { NormalizedLogFilter } from './filter.js';
import { FollowingStream } from './following-stream.js';
import type { HeadInfo, HeadStream } from './head-stream.js';
import { DeliveredLogs, parseLog } from './log-entry.js';
import type { ParsedLog } from './log-entry.js';
import { errorMessage } from '../error-message.js';

type Entry =
  /** One canonical block whose matching logs must reach clients exactly once. */
  | { type: 'head'; block: BlockId; mode: 'live' | 'fetch'; cancelled: boolean }
  /** Delivered blocks that left the canonical chain: their logs go out again with removed: true. */
  | { type: 'reorg'; orphaned: BlockId[] };

/**
 * One logs stream (one normalised filter) of a chain, driven by the head stream.
 *
 * The upstream `logs` subscription lives on the head stream's active provider. Every canonical
 * head the head stream delivers becomes an entry processed in order: if it arrived live from that
 * same provider after the logs subscription was established, its logs are the ones that came
 * live (they are held until their head is delivered, which also keeps new-branch logs behind the
 * removals of a reorg); otherwise (backfilled or polled heads, switching, polling, the first blocks
 * after a subscribe) its logs are read over HTTP with `eth_getLogs({ blockHash })` - a by-hash
 * read fails loudly on a provider that lacks the block, where a range read would silently return
 * nothing. Logs are deduplicated by blockHash + logIndex; a reorg re-delivers the orphaned
 * blocks' delivered logs with `removed: true`, then the new branch's logs follow. The live
 * subscription's data: blocks from `liveFrom` on are covered by it, lower ones are fetched over HTTP.
 */
export class LogsStream extends FollowingStream<{ liveFrom: number }> {
  private readonly queue: Entry[] = [];
  /** Live logs not yet released, by block hash (their head has not been delivered yet). */
  private readonly held = new Map<string, Map<number, ParsedLog>>();
  private readonly delivered: DeliveredLogs;
  private pumping = false;
  /** Bumped by onFatal, so an entry in flight when the stream was reset is dropped. */
  private generation = 0;

  constructor(
    ctx: StreamContext,
    head: HeadStream,
    key: string,
    readonly filter: NormalizedLogFilter,
    onClientDropped: (id: string) => void,
  ) {
    super(
      ctx,
      head,
      key,
      {
        kind: 'logs',
        params: [upstreamFilter(filter)],
        // Logs of blocks the upstream may have imported before it processed the subscribe would be
        // missing from the live stream: everything up to the known head + 1 is read over HTTP instead.
        established: () => ({ liveFrom: head.highestKnownHead() + 2 }),
        // Stays in fetch mode (every block's logs over HTTP) until the next provider change.
        onFailed: (provider, outcome) =>
          ctx.logger.info({ chain: ctx.chain, provider: provider.id, outcome: outcome.type }, 'logs subscribe failed; logs are read over HTTP'),
      },
      onClientDropped,
    );
    this.delivered = new DeliveredLogs(ctx.config.recentBlocks);
  }

  protected override onStopped(): void {
    this.queue.length = 0;
    this.held.clear();
  }

  // --- HeadListener -----------------------------------------------------------------------------

  onHead(block: ChainBlock, info: HeadInfo): void {
    if (this.stopped) return;
    const liveFrom = this.upstream.data?.liveFrom;
    const live = liveFrom !== undefined && info.source === 'live' && info.provider === this.upstream.provider?.id && block.number >= liveFrom;
    this.queue.push({ type: 'head', block: { number: block.number, hash: block.hash }, mode: live ? 'live' : 'fetch', cancelled: false });
    void this.pump();
  }

  onReorg(orphaned: BlockId[]): void {
    if (this.stopped) return;
    const hashes = new Set(orphaned.map((b) => b.hash));
    // Not processed yet: nothing was delivered for them, so there is nothing to remove either.
    for (const e of this.queue) if (e.type === 'head' && hashes.has(e.block.hash)) e.cancelled = true;
    this.queue.push({ type: 'reorg', orphaned });
    void this.pump();
  }

  onFatal(error: RpcError): void {
    if (this.stopped) return;
    this.generation++;
    this.queue.length = 0;
    this.held.clear();
    this.clients.endAll(error);
  }

  protected onNotification(value: unknown): void {
    if (this.stopped) return;
    const log = parseLog(value);
    // Upstream removals are ignored: Lasso emits its own from the head stream's reorgs.
    if (!log || log.removed || !logMatches(log.raw, this.filter)) return;
    if (this.delivered.has(log)) {
      this.ctx.metrics?.duplicatesDropped.inc({ chain: this.ctx.chain, kind: 'logs' });
      return;
    }
    if (this.delivered.isProcessed(log.blockHash)) {
      // Its head went through already (this upstream sends logs after heads): deliver now.
      if (this.head.isCanonical({ number: log.blockNumber, hash: log.blockHash })) this.deliver(log);
      return;
    }
    let forBlock = this.held.get(log.blockHash);
    if (!forBlock) {
      forBlock = new Map();
      this.held.set(log.blockHash, forBlock);
      // Bounded: logs of blocks that never became canonical are forgotten eventually.
      while (this.held.size > this.ctx.config.recentBlocks) this.held.delete(this.held.keys().next().value as string);
    }
    forBlock.set(log.logIndex, log);
  }

  // --- ordered processing -----------------------------------------------------------------------

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const entry = this.queue[0] as Entry;
        const generation = this.generation;
        if (entry.type === 'reorg') {
          this.applyReorg(entry.orphaned);
        } else if (!entry.cancelled) {
          let fetched: ParsedLog[] = [];
          if (entry.mode === 'fetch') {
            try {
              fetched = await this.fetch(entry);
            } catch (err) {
              if (err instanceof StreamStoppedError || this.stopped) return;
              if (!(err instanceof UnfillableGapError)) throw err;
              if (err.reason !== 'not_canonical') {
                this.giveUp(err);
                continue;
              }
              entry.cancelled = true; // orphaned meanwhile: the reorg entry behind it deals with it
            }
            if (generation !== this.generation) continue; // reset by onFatal while fetching
            if (!entry.cancelled) this.ctx.metrics?.backfilledBlocks.inc({ chain: this.ctx.chain, kind: 'logs' });
          }
          if (!entry.cancelled) this.release(entry.block, fetched);
        }
        if (this.queue[0] === entry) this.queue.shift();
      }
    } catch (err) {
      this.ctx.logger.warn({ chain: this.ctx.chain, key: this.key, err: errorMessage(err) }, 'logs processing failed');
    } finally {
      this.pumping = false;
    }
  }

  /** Delivers the block's logs (fetched and/or held live ones) in logIndex order, each once. */
  private release(block: BlockId, fetched: ParsedLog[]): void {
    const byIndex = new Map<number, ParsedLog>();
    for (const log of fetched) byIndex.set(log.logIndex, log);
    const live = this.held.get(block.hash);
    this.held.delete(block.hash);
    if (live) for (const [i, log] of live) if (!byIndex.has(i)) byIndex.set(i, log);
    this.delivered.open(block);
    for (const log of [...byIndex.values()].sort((a, b) => a.logIndex - b.logIndex)) {
      if (this.delivered.has(log)) this.ctx.metrics?.duplicatesDropped.inc({ chain: this.ctx.chain, kind: 'logs' });
      else this.deliver(log);
    }
  }

  private deliver(log: ParsedLog): void {
    this.delivered.record(log);
    this.clients.deliver(log.raw);
  }

  private applyReorg(orphaned: BlockId[]): void {
    for (const block of orphaned) {
      this.held.delete(block.hash);
      for (const log of this.delivered.take(block.hash)) this.clients.deliver({ ...log.raw, removed: true });
    }
  }

  private async fetch(entry: { block: BlockId; cancelled: boolean }): Promise<ParsedLog[]> {
    const { block } = entry;
    const deadline = this.ctx.now() + this.ctx.config.backfillTimeoutMs;
    let lastError = '';
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) throw new StreamStoppedError();
      if (entry.cancelled || !this.head.isCanonical(block)) throw new UnfillableGapError('not_canonical', `block ${block.number} ${block.hash} left the chain`);
      try {
        const raw = await this.ctx.reader.logsByBlockHash(block.hash, this.filter, attempt);
        const logs: ParsedLog[] = [];
        for (const item of raw) {
          const log = parseLog(item);
          if (log && log.blockHash === block.hash && !log.removed && logMatches(log.raw, this.filter)) logs.push(log);
        }
        return logs;
      } catch (err) {
        lastError = errorMessage(err);
      }
      if (this.ctx.now() >= deadline) throw new UnfillableGapError('timeout', `logs of block ${block.number} could not be read: ${lastError}`);
      await delay(retryDelayMs(attempt));
    }
  }

  private giveUp(err: UnfillableGapError): void {
    const { chain } = this.ctx;
    this.ctx.metrics?.gapsUnfilled.inc({ chain, kind: 'logs' });
    this.ctx.logger.error({ chain, key: this.key, reason: err.reason, err: err.message }, 'logs gap could not be filled; ending subscriptions');
    this.onFatal(
      new RpcError(RpcErrorCode.ServerError, `subscription ended: logs could not be backfilled (${err.message}); subscribe again`, { reason: err.reason }),
    );
  }
}
