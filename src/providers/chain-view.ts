import type { HeadFloorStore } from '../shared-state/shared-head-store.js';
import type { ProviderRuntime } from './provider.js';
import { wakeableDelay } from '../wakeable-delay.js';

/** What changed in a chain view, for metrics, logs and the event log. */
export type ChainViewChange =
  | { type: 'outlier'; providerId: string; reason: string }
  | { type: 'outlier_cleared'; providerId: string }
  | { type: 'reorg'; number: number; depth: number; oldHash: string; newHash: string };

export interface ChainViewOptions {
  providers: readonly ProviderRuntime[];
  /** A provider further behind the corroborated head than this is lagging. */
  maxLagBlocks: number;
  /** A provider further ahead of the corroborated head than this is an outlier. */
  maxAheadBlocks: number;
  /** A provider head older than this no longer counts towards corroboration, in ms. */
  staleAfterMs: number;
  /** Bounds of the block time estimate, in ms (the upper one is also the estimate before any is made). */
  minBlockTimeMs: number;
  maxBlockTimeMs: number;
  now: () => number;
  onChange?: (change: ChainViewChange) => void;
}

/** Heights whose hash is remembered, for reorg detection. */
const HASH_WINDOW = 256;
/** Advances longer than this (catch-ups, start) say nothing about the block time. */
const BLOCK_TIME_MAX_SPAN = 4;
/** Weight of one block time sample in the estimate. */
const BLOCK_TIME_WEIGHT = 0.2;
/** Head reports remembered per provider, for confirming its earlier heights once others reach them. */
const REPORTS_KEPT = 64;

interface ProviderTrack {
  /** Distinct heads this provider reported, oldest first, with when each was first seen. */
  reports: { number: number; at: number }[];
  /** Its latest head that another provider confirmed: later heads are judged from here. */
  base: { number: number; at: number } | undefined;
}

/**
 * What Lasso believes about one chain: each provider's head (reported number, when, last poll
 * error), safe and finalized heights, hashes at recent heights, the corroborated head, and the
 * head Lasso has answered with.
 *
 * A height counts towards the corroborated head once a second provider reports at least that
 * height, or when it follows the previous corroborated head by no more than the blocks the chain
 * can plausibly have made since (elapsed time / estimated block time, plus one). A provider alone
 * cannot move the head further (unless it is the chain's only provider): one that runs ahead of the corroborated head by more than
 * `maxAheadBlocks` is an outlier (it gets no traffic that depends on the head) rather than the
 * head the others lag behind. Block times are judged from when heads arrive, never from block
 * timestamps, which devnets mint ahead of the wall clock.
 *
 * The answer head (what eth_blockNumber returns and what `latest` means) never decreases: it is
 * the highest of the corroborated head, heads already announced on subscriptions and blocks
 * already returned to clients.
 */
export class ChainView {
  private corroborated: number | undefined;
  private corroboratedAt = 0;
  private answeredFloor: number | undefined;
  private safeHead: number | undefined;
  private finalizedHead: number | undefined;
  /** Estimated block time, in ms (EWMA over the corroborated head's advances); undefined before the first sample. */
  private blockTimeEstimate: number | undefined;
  private readonly hashes = new Map<number, string>();
  private readonly outliers = new Map<string, string>();
  private readonly finality = new Map<string, { safe: number | undefined; finalized: number | undefined }>();
  private readonly reorgListeners = new Set<(number: number) => void>();
  private readonly tracks = new Map<string, ProviderTrack>();
  private readonly headWaiters = new Set<() => void>();
  private shared: { store: HeadFloorStore; chain: string } | undefined;

  constructor(private readonly options: ChainViewOptions) {
  }

  /**
   * Replicas behind one load balancer share the highest head any of them answered with, so a
   * client's next request, served by another replica, is not answered with an older head.
   */
  shareAnsweredHeads(store: HeadFloorStore, chain: string): void {
    this.shared = { store, chain };
  }

  /** Whether replicas share the answered head (requests that depend on it go through `withSharedHead`). */
  get sharesHeads(): boolean {
    return this.shared !== undefined;
  }

  /**
   * Serves a request whose answer depends on the head so that no replica has answered a newer one
   * before it arrived: it starts from the shared head as it is now, and its answer leaves once
   * the head it used is shared. Without shared heads, just serves.
   */
  withSharedHead<T>(serve: () => Promise<T>): Promise<T> {
    const shared = this.shared;
    if (shared === undefined) return serve();
    const { store, chain } = shared;
    return store
      .refreshed(chain)
      .then(serve)
      .then((answer) => store.published(chain).then(() => answer));
  }

  /** Estimated block time, in ms; the configured maximum until the head has advanced twice. */
  get blockTimeMs(): number {
    return this.blockTimeEstimate ?? this.options.maxBlockTimeMs;
  }

  /** The chain's corroborated head; undefined until some provider answered. */
  corroboratedHead(): number | undefined {
    return this.corroborated;
  }

  /** The head Lasso answers with: never lower than one it answered or announced before. */
  answerHead(): number | undefined {
    const c = this.corroborated;
    let f = this.answeredFloor;
    const s = this.sharedFloor(c);
    if (s !== undefined && (f === undefined || s > f)) f = s;
    return c === undefined ? f : f === undefined || c > f ? c : f;
  }

  /**
   * The replicas' shared floor, when it is a head this chain can have: one far above what this
   * replica's providers confirm (a devnet restarted under the same Redis keys) is left out.
   */
  private sharedFloor(corroborated: number | undefined): number | undefined {
    if (this.shared === undefined || corroborated === undefined) return undefined;
    const s = this.shared.store.floor(this.shared.chain);
    return s !== undefined && s - corroborated <= this.options.maxAheadBlocks ? s : undefined;
  }

  /** Highest finalized block reported by a provider that is not an outlier, never above the answer head. */
  finalized(): number | undefined {
    return this.finalizedHead;
  }

  safe(): number | undefined {
    return this.safeHead;
  }

  /** Hash of the canonical block at this height, when Lasso has seen it. */
  hashAt(number: number): string | undefined {
    return this.hashes.get(number);
  }

  /** Why this provider gets no head-dependent traffic; undefined when it agrees with the others. */
  outlierReason(providerId: string): string | undefined {
    return this.outliers.get(providerId);
  }

  isOutlier(provider: ProviderRuntime): boolean {
    return this.outliers.has(provider.id);
  }

  /** Blocks behind the corroborated head; undefined when either is unknown. Negative when ahead. */
  lagOf(provider: ProviderRuntime): number | undefined {
    const head = this.corroborated;
    const own = provider.head.number;
    return head === undefined || own === undefined ? undefined : head - own;
  }

  /** More than maxLagBlocks behind. A provider whose head is unknown is not lagging yet. */
  isLagging(provider: ProviderRuntime): boolean {
    const lag = this.lagOf(provider);
    return lag !== undefined && lag > this.options.maxLagBlocks;
  }

  /** The provider is known to have this block (its head is at or above it, and it is no outlier). */
  hasBlock(provider: ProviderRuntime, number: number): boolean {
    const own = provider.head.number;
    return own !== undefined && own >= number && !this.outliers.has(provider.id);
  }

  /** A head poll or a live newHeads notification from one provider. */
  observeHead(provider: ProviderRuntime, number: number): void {
    const head = provider.head;
    const now = this.options.now();
    head.updatedAt = now;
    if (head.lastError !== undefined) head.reachableSince = now;
    head.lastError = undefined;
    if (head.number !== number) {
      const reports = this.trackOf(provider.id).reports;
      reports.push({ number, at: now });
      if (reports.length > REPORTS_KEPT) reports.shift();
    }
    head.number = number;
    this.recompute();
  }

  /** A head poll failed; the provider's last head stops counting once it is stale. */
  observeFailure(provider: ProviderRuntime, reason: string): void {
    provider.head.lastError = reason;
    this.recompute();
  }

  /**
   * A provider answered with a real block (by number, a receipt, a transaction in a block): it has
   * that block, and the hash at that height is known. A different hash at a known height is a reorg.
   */
  observeBlock(provider: ProviderRuntime, number: number, hash: string | undefined): void {
    const head = provider.head;
    if (head.number === undefined || number > head.number) {
      head.number = number;
      head.updatedAt = this.options.now();
    }
    if (hash !== undefined) this.noteHash(number, hash);
    this.recompute();
  }

  /** safe / finalized heights reported by a provider. */
  observeFinality(provider: ProviderRuntime, safe: number | undefined, finalized: number | undefined): void {
    this.finality.set(provider.id, { safe, finalized });
    this.recomputeFinality();
  }

  /**
   * A head delivered on a subscription: the subscription engine checked its parent links, so it
   * is a real block; clients have seen it, so nothing Lasso answers may be lower.
   */
  noteDelivered(number: number, hash?: string): void {
    if (hash !== undefined) this.noteHash(number, hash);
    this.noteAnswered(number);
    if (this.corroborated === undefined || number > this.corroborated) this.advance(number);
  }

  /** A head Lasso answered with (eth_blockNumber, the block `latest` meant, a receipt's block). */
  noteAnswered(number: number): void {
    if (this.answeredFloor === undefined || number > this.answeredFloor) this.answeredFloor = number;
    this.shared?.store.noteAnswered(this.shared.chain, number);
    if (this.headWaiters.size > 0) for (const w of [...this.headWaiters]) w();
  }

  /** A provider was removed from the chain: what was known about it no longer counts. */
  forget(providerId: string): void {
    this.tracks.delete(providerId);
    this.finality.delete(providerId);
    if (this.outliers.delete(providerId)) this.options.onChange?.({ type: 'outlier_cleared', providerId });
    this.recompute();
  }

  /** Resolves once the view has a head, or after `timeoutMs`. */
  firstHead(timeoutMs: number): Promise<void> {
    if (this.answerHead() !== undefined || timeoutMs <= 0) return Promise.resolve();
    return wakeableDelay(timeoutMs, this.headWaiters);
  }

  /** Called with the first height whose hash changed, each time a reorg is seen. */
  onReorg(listener: (number: number) => void): () => void {
    this.reorgListeners.add(listener);
    return () => this.reorgListeners.delete(listener);
  }

  private noteHash(number: number, hash: string): void {
    const known = this.hashes.get(number);
    if (known === hash) return;
    this.hashes.set(number, hash);
    if (known === undefined) {
      this.hashes.delete(number - HASH_WINDOW);
      return;
    }
    // Everything above a replaced block belongs to the old branch too.
    let depth = 1;
    for (const n of this.hashes.keys()) {
      if (n <= number) continue;
      this.hashes.delete(n);
      depth++;
    }
    this.options.onChange?.({ type: 'reorg', number, depth, oldHash: known, newHash: hash });
    for (const listener of this.reorgListeners) listener(number);
  }

  private recompute(): void {
    const now = this.options.now();
    const fresh: { provider: ProviderRuntime; number: number }[] = [];
    for (const p of this.options.providers) {
      // A failed poll does not void the last head at once (a busy provider may miss one); an old one does.
      const { number, updatedAt } = p.head;
      if (number === undefined || updatedAt === undefined || now - updatedAt > this.options.staleAfterMs) continue;
      fresh.push({ provider: p, number });
    }
    let best = this.corroborated;
    for (const entry of fresh) {
      if ((best === undefined || entry.number > best) && this.counts(entry, fresh, now)) best = entry.number;
    }
    if (best !== undefined && (this.corroborated === undefined || best > this.corroborated)) this.advance(best);
    this.updateOutliers(fresh);
  }

  /**
   * Whether a provider's head may become the chain's: another provider reports at least that
   * height, or it follows a height of this provider's that another provider has since reached by
   * no more blocks than the chain can have made in the time between. The only reachable provider
   * of a chain is trusted as it is.
   */
  private counts(entry: { provider: ProviderRuntime; number: number }, fresh: readonly { provider: ProviderRuntime; number: number }[], now: number): boolean {
    const { provider, number } = entry;
    const track = this.trackOf(provider.id);
    let othersMax: number | undefined;
    for (const o of fresh) if (o.provider !== provider && (othersMax === undefined || o.number > othersMax)) othersMax = o.number;
    if (this.options.providers.length === 1) return true;
    if (othersMax === undefined) {
      const undecided = this.options.providers.some((p) => p !== provider && p.head.number === undefined && p.head.lastError === undefined);
      if (undecided && this.corroborated === undefined) return false;
      return this.corroborated === undefined || this.plausible(track.base ?? { number: this.corroborated, at: this.corroboratedAt }, number, now);
    }
    if (number <= othersMax) {
      track.base = { number, at: now };
      return true;
    }
    // Retro-confirmation: the latest of its own earlier heads that another provider has reached.
    for (let i = track.reports.length - 1; i >= 0; i--) {
      const r = track.reports[i] as { number: number; at: number };
      if (r.number <= othersMax) {
        if (track.base === undefined || r.at > track.base.at) track.base = { number: r.number, at: r.at };
        break;
      }
    }
    return track.base !== undefined && this.plausible(track.base, number, now);
  }

  private plausible(base: { number: number; at: number }, number: number, now: number): boolean {
    return number - base.number <= Math.ceil((now - base.at) / this.blockTimeMs) + 1;
  }

  private trackOf(providerId: string): ProviderTrack {
    let track = this.tracks.get(providerId);
    if (track === undefined) {
      track = { reports: [], base: undefined };
      this.tracks.set(providerId, track);
    }
    return track;
  }

  private advance(number: number): void {
    const now = this.options.now();
    const prev = this.corroborated;
    // Heads are seen through polls, so one advance may span several blocks: time per block.
    if (prev !== undefined && number - prev <= BLOCK_TIME_MAX_SPAN) {
      const { minBlockTimeMs, maxBlockTimeMs } = this.options;
      const sample = Math.min(maxBlockTimeMs, Math.max(minBlockTimeMs, (now - this.corroboratedAt) / (number - prev)));
      this.blockTimeEstimate = this.blockTimeEstimate === undefined ? sample : this.blockTimeEstimate + BLOCK_TIME_WEIGHT * (sample - this.blockTimeEstimate);
    }
    this.corroborated = number;
    this.corroboratedAt = now;
    this.recomputeFinality();
    if (this.headWaiters.size > 0) for (const w of [...this.headWaiters]) w();
  }

  private updateOutliers(fresh: readonly { provider: ProviderRuntime; number: number }[]): void {
    const head = this.corroborated;
    for (const p of this.options.providers) {
      const entry = fresh.find((f) => f.provider === p);
      const ahead = head === undefined || entry === undefined ? 0 : entry.number - head;
      const was = this.outliers.get(p.id);
      if (ahead > this.options.maxAheadBlocks) {
        const reason = `reports head ${entry?.number} while the other providers confirm ${head}: ${ahead} blocks ahead`;
        if (was === undefined) {
          this.outliers.set(p.id, reason);
          this.options.onChange?.({ type: 'outlier', providerId: p.id, reason });
        } else {
          this.outliers.set(p.id, reason);
        }
      } else if (was !== undefined && entry !== undefined) {
        this.outliers.delete(p.id);
        this.options.onChange?.({ type: 'outlier_cleared', providerId: p.id });
      }
    }
  }

  private recomputeFinality(): void {
    const head = this.answerHead();
    let safe: number | undefined;
    let finalized: number | undefined;
    for (const [id, f] of this.finality) {
      if (this.outliers.has(id)) continue;
      if (f.safe !== undefined && (safe === undefined || f.safe > safe)) safe = f.safe;
      if (f.finalized !== undefined && (finalized === undefined || f.finalized > finalized)) finalized = f.finalized;
    }
    if (head !== undefined) {
      if (safe !== undefined) safe = Math.min(safe, head);
      if (finalized !== undefined) finalized = Math.min(finalized, head);
    }
    if (safe !== undefined && (this.safeHead === undefined || safe > this.safeHead)) this.safeHead = safe;
    if (finalized !== undefined && (this.finalizedHead === undefined || finalized > this.finalizedHead)) this.finalizedHead = finalized;
  }
}
