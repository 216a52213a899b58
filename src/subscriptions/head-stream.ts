import type { RpcError } from '../jsonrpc/errors.js';
import type { ProviderRuntime } from '../providers/provider.js';
import type { UpstreamSubscription, WsStateChange } from '../transport/ws-upstream.js';
import { parseBlock } from './block.js';
import type { BlockId, ChainBlock } from './block.js';
import { BlockTimeEstimator } from './block-time.js';
import { ClientSet } from './client-set.js';
import { HeadSequencer } from './head-sequencer.js';
import type { SequencedHead } from './head-sequencer.js';
import type { StreamContext, UpstreamSubscribeResult } from './context.js';
import { errorMessage } from '../error-message.js';

/** How a delivered head reached Lasso. */
export type HeadSource = 'live' | 'backfill' | 'poll';

export interface HeadInfo {
  source: HeadSource;
  /** The WebSocket provider that sent it live; undefined for backfilled and polled heads. */
  provider: string | undefined;
}

/**
 * A stream that depends on the chain's heads (logs, pending transactions). Called synchronously
 * and in order: a reorg notice comes before the heads of the new branch.
 */
export interface HeadListener {
  /** The active upstream provider changed; undefined while switching or polling. */
  onProvider(providerId: string | undefined): void;
  /** A canonical head was delivered (in order, each once). */
  onHead(block: ChainBlock, info: HeadInfo): void;
  /** These delivered blocks (oldest first) left the canonical chain; heads from `forkPoint + 1` follow. */
  onReorg(orphaned: BlockId[], forkPoint: number): void;
  /** The head stream could not fill a gap: dependents end their clients too. */
  onFatal(error: RpcError): void;
}

export type HeadStreamMode = 'starting' | 'live' | 'switching' | 'polling' | 'stopped';

interface ActiveUpstream {
  provider: ProviderRuntime;
  subscription: UpstreamSubscription;
  token: object;
  /** When the last live head arrived (or the subscription started). */
  lastLiveAt: number;
  /** Highest head number received live (or known when the subscription started). */
  lastLiveNumber: number;
}

/** Shortest eth_subscribe timeout when choosing a provider (otherwise 2 block times, capped by requestTimeoutMs). */
const MIN_SUBSCRIBE_TIMEOUT_MS = 2_000;
/** A provider whose eth_subscribe failed is skipped for this long. */
const SUBSCRIBE_FAILURE_PENALTY_MS = 5_000;

/**
 * The newHeads stream of one chain, and the chain's clock for every other stream.
 *
 * Chooses the active WebSocket provider (open channel, breaker not open, not penalised, in sync,
 * by priority then ping RTT), holds one upstream `newHeads` subscription there, and turns what
 * arrives (live heads, HTTP backfill, HTTP polls) into one ordered, duplicate-free canonical
 * sequence: a gap is filled over HTTP (eth_getBlockByNumber, links checked by parentHash), a head
 * that does not extend the tip is walked back by parentHash to the fork point and the new branch is
 * delivered from there. Loss (connection closed) and stall (no head for `staleAfterBlockTimes`
 * estimated block times while the chain moved on) move it to the next provider; with none usable it
 * polls over HTTP and returns to WebSocket as soon as a channel is usable again. Ordering, gap
 * filling and reorgs are the HeadSequencer's.
 */
export class HeadStream {
  readonly key = 'newHeads';
  readonly clients: ClientSet;
  readonly ready: Promise<void>;

  private readonly sequencer: HeadSequencer;
  private readonly blockTime: BlockTimeEstimator;
  private readonly dependents = new Set<HeadListener>();
  private readonly penalties = new Map<string, number>();
  private readonly stateListeners: { provider: ProviderRuntime; listener: (change: WsStateChange) => void }[] = [];
  private resolveReady!: () => void;
  private active: ActiveUpstream | undefined;
  private subscribingToken: object | undefined;
  private connecting: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollBusy = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private stallProbe = false;
  private highestSeen = -1;
  private currentMode: HeadStreamMode = 'starting';

  constructor(
    private readonly ctx: StreamContext,
    onClientDropped: (id: string) => void,
  ) {
    this.clients = new ClientSet(onClientDropped);
    this.sequencer = new HeadSequencer({
      ctx,
      clients: this.clients,
      dependents: this.dependents,
      trustedProvider: () => this.active?.provider.id,
      isStopped: () => this.stopped,
    });
    this.blockTime = new BlockTimeEstimator(ctx.config.minBlockTimeMs, ctx.config.maxBlockTimeMs);
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
  }

  get mode(): HeadStreamMode {
    return this.currentMode;
  }

  /** Provider of the live upstream subscription; undefined while switching or polling. */
  get activeProvider(): string | undefined {
    return this.active?.provider.id;
  }

  /** Whether an upstream newHeads subscription is live. */
  get hasUpstream(): boolean {
    return this.active !== undefined;
  }

  /** Current block time estimate, in ms. */
  get blockTimeMs(): number {
    return this.blockTime.blockTimeMs;
  }

  get dependentCount(): number {
    return this.dependents.size;
  }

  /** Last delivered (or baseline) head. */
  tip(): BlockId | undefined {
    return this.sequencer.tip();
  }

  /** Whether this block is on the canonical chain as delivered (within the remembered window). */
  isCanonical(block: BlockId): boolean {
    return this.sequencer.isCanonical(block);
  }

  /** Highest head number known from any source (delivered, queued, HTTP head tracker). */
  highestKnownHead(): number {
    return Math.max(this.highestSeen, this.sequencer.tip()?.number ?? -1, this.ctx.chainHead() ?? -1);
  }

  addDependent(listener: HeadListener): void {
    this.dependents.add(listener);
  }

  removeDependent(listener: HeadListener): void {
    this.dependents.delete(listener);
  }

  /** Connects the channels, takes the current head as baseline (not delivered), subscribes. `ready` resolves after. */
  start(): void {
    void this.run().finally(() => this.resolveReady());
  }

  stop(): void {
    if (this.currentMode === 'stopped') return;
    this.currentMode = 'stopped';
    this.stopPolling();
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.stallTimer = undefined;
    for (const { provider, listener } of this.stateListeners) provider.ws?.off('state', listener);
    this.stateListeners.length = 0;
    const active = this.active;
    this.active = undefined;
    this.subscribingToken = undefined;
    if (active) {
      this.ctx.metrics?.upstreamSubscriptions.dec({ chain: this.ctx.chain, kind: 'newHeads' });
      void active.subscription.unsubscribe();
    }
    this.sequencer.clear();
    this.resolveReady();
  }

  private get stopped(): boolean {
    return this.currentMode === 'stopped';
  }

  private async run(): Promise<void> {
    const { config } = this.ctx;
    for (const provider of this.ctx.providers) {
      const ws = provider.ws;
      if (!ws) continue;
      const listener = (change: WsStateChange): void => {
        // A channel came back while polling: try to return to WebSocket right away.
        if (change.to === 'open' && this.currentMode === 'polling') void this.pollTick();
      };
      ws.on('state', listener);
      this.stateListeners.push({ provider, listener });
    }
    await Promise.all(this.ctx.providers.map((p) => p.ws?.waitSettled(config.upstream.connectTimeoutMs)));
    if (this.stopped) return;
    try {
      const baseline = await this.ctx.reader.blockByNumber('latest');
      if (baseline && !this.sequencer.tip() && !this.stopped) {
        this.sequencer.setBaseline(baseline);
        this.highestSeen = Math.max(this.highestSeen, baseline.number);
      }
    } catch (err) {
      // No baseline: the first head that arrives is delivered and becomes the tip.
      this.ctx.logger.debug({ chain: this.ctx.chain, err: errorMessage(err) }, 'newHeads baseline read failed');
    }
    if (this.stopped) return;
    const checkEvery = Math.min(500, Math.max(10, Math.floor(config.minBlockTimeMs / 2)));
    this.stallTimer = setInterval(() => void this.checkStall(), checkEvery);
    this.stallTimer.unref();
    await this.connect();
  }

  // --- provider choice, loss, stall ---------------------------------------------------------

  /** Usable ws channels, best first: in-sync before lagging, then priority, then ping RTT. */
  private candidates(): ProviderRuntime[] {
    const now = this.ctx.now();
    const usable = this.ctx.providers.filter((p) => {
      if (!p.ws?.isOpen) return false;
      if (p.wsBreaker.state === 'open') return false;
      const until = this.penalties.get(p.id);
      return until === undefined || until <= now;
    });
    return usable.sort((a, b) => {
      const lagA = this.ctx.isLagging(a) ? 1 : 0;
      const lagB = this.ctx.isLagging(b) ? 1 : 0;
      if (lagA !== lagB) return lagA - lagB;
      if (a.priority !== b.priority) return a.priority - b.priority;
      return (a.ws?.rttMs ?? Number.MAX_VALUE) - (b.ws?.rttMs ?? Number.MAX_VALUE);
    });
  }

  private connect(): Promise<void> {
    this.connecting ??= this.tryCandidates().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async tryCandidates(): Promise<void> {
    if (this.active) return;
    if (this.currentMode !== 'polling') this.currentMode = 'switching';
    for (const provider of this.candidates()) {
      if (this.stopped) return;
      if (await this.subscribe(provider)) return;
    }
    if (!this.stopped) this.startPolling();
  }

  private async subscribe(provider: ProviderRuntime): Promise<boolean> {
    const ws = provider.ws;
    if (!ws) return false;
    const token = {};
    this.subscribingToken = token;
    // A provider that hangs on eth_subscribe must not hold the failover up for the full request timeout.
    const timeoutMs = Math.min(this.ctx.config.upstream.requestTimeoutMs, Math.max(MIN_SUBSCRIBE_TIMEOUT_MS, 2 * this.blockTime.blockTimeMs));
    const result = await ws.subscribe(
      'newHeads',
      [],
      {
        onNotification: (value) => this.onLiveHead(provider, token, value),
        onEnd: (reason) => {
          if (this.active?.token === token) this.failover('lost', reason);
        },
      },
      { timeoutMs },
    );
    this.ctx.countSubscribe('newHeads', provider.id, subscribeResult(result));
    if (this.subscribingToken !== token || this.stopped) {
      if (result.ok) void result.subscription.unsubscribe();
      return this.active !== undefined;
    }
    this.subscribingToken = undefined;
    if (!result.ok) {
      this.penalties.set(provider.id, this.ctx.now() + SUBSCRIBE_FAILURE_PENALTY_MS);
      this.ctx.logger.info({ chain: this.ctx.chain, provider: provider.id, outcome: result.outcome.type }, 'newHeads subscribe failed; trying the next provider');
      return false;
    }
    const now = this.ctx.now();
    this.active = { provider, subscription: result.subscription, token, lastLiveAt: now, lastLiveNumber: this.highestKnownHead() };
    this.ctx.metrics?.upstreamSubscriptions.inc({ chain: this.ctx.chain, kind: 'newHeads' });
    this.blockTime.resetSequence();
    const wasPolling = this.currentMode === 'polling';
    this.stopPolling();
    this.currentMode = 'live';
    this.ctx.logger.info({ chain: this.ctx.chain, provider: provider.id, fromPolling: wasPolling }, 'newHeads stream live');
    for (const d of this.dependents) d.onProvider(provider.id);
    // Fill whatever was missed while switching now, not at the next head (which may be 12 s away).
    void this.catchUp();
    return true;
  }

  private onLiveHead(provider: ProviderRuntime, token: object, value: unknown): void {
    if (this.stopped) return;
    const active = this.active;
    if (active?.token !== token && this.subscribingToken !== token) return;
    const block = parseBlock(value);
    if (!block) {
      this.ctx.logger.debug({ chain: this.ctx.chain, provider: provider.id }, 'ignored a malformed newHeads notification');
      return;
    }
    const now = this.ctx.now();
    if (active?.token === token) {
      active.lastLiveAt = now;
      active.lastLiveNumber = Math.max(active.lastLiveNumber, block.number);
    }
    this.blockTime.observe(block.number, now);
    this.ctx.observeHead(provider, block.number);
    this.enqueue({ block, source: 'live', provider: provider.id });
  }

  /** The active upstream is gone (closed) or stalled: leave it and find another. */
  private failover(reason: 'lost' | 'stall', detail: string): void {
    const old = this.active;
    if (!old || this.stopped) return;
    this.active = undefined;
    this.currentMode = 'switching';
    this.ctx.metrics?.upstreamSubscriptions.dec({ chain: this.ctx.chain, kind: 'newHeads' });
    this.ctx.metrics?.failovers.inc({ chain: this.ctx.chain, from_provider: old.provider.id, reason });
    if (reason === 'stall') this.penalties.set(old.provider.id, this.ctx.now() + this.ctx.config.stallPenaltyMs);
    this.ctx.logger.warn({ chain: this.ctx.chain, provider: old.provider.id, reason, detail }, 'newHeads upstream failover');
    this.ctx.events?.emit({ type: 'subscription_failover', chain: this.ctx.chain, kind: 'newHeads', provider: old.provider.id, reason: `${reason}: ${detail}` });
    void old.subscription.unsubscribe();
    for (const d of this.dependents) d.onProvider(undefined);
    // A connect attempt may still be finishing (it just made `old` active): start a fresh one after it.
    void (this.connecting ?? Promise.resolve()).then(() => this.connect());
  }

  private async checkStall(): Promise<void> {
    const active = this.active;
    if (!active || this.stallProbe || this.stopped) return;
    const limit = this.ctx.config.staleAfterBlockTimes * this.blockTime.blockTimeMs;
    if (this.ctx.now() - active.lastLiveAt < limit) return;
    // Quiet for ~2 block times. Stalled only if the chain moved on meanwhile (an idle chain is not a stall).
    this.stallProbe = true;
    let head = this.ctx.chainHead() ?? -1;
    try {
      head = Math.max(head, await this.ctx.reader.blockNumber());
    } catch {
      // no HTTP answer: judge on the head tracker alone
    } finally {
      this.stallProbe = false;
    }
    if (this.active !== active || this.stopped) return;
    if (head > active.lastLiveNumber) {
      this.failover('stall', `no head for ${Math.round(this.ctx.now() - active.lastLiveAt)} ms; chain at ${head}, last live ${active.lastLiveNumber}`);
    } else {
      active.lastLiveAt = this.ctx.now();
    }
  }

  // --- polling fallback -----------------------------------------------------------------------

  private startPolling(): void {
    if (this.currentMode === 'polling' || this.stopped) return;
    this.currentMode = 'polling';
    this.ctx.metrics?.polling.set({ chain: this.ctx.chain }, 1);
    this.ctx.logger.warn({ chain: this.ctx.chain }, 'no usable WebSocket provider: polling heads over HTTP');
    this.pollTimer = setInterval(() => void this.pollTick(), this.ctx.config.pollIntervalMs);
    this.pollTimer.unref();
    void this.pollTick();
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.ctx.metrics?.polling.set({ chain: this.ctx.chain }, 0);
  }

  private async pollTick(): Promise<void> {
    if (this.pollBusy || this.stopped || this.currentMode !== 'polling') return;
    this.pollBusy = true;
    try {
      if (this.candidates().length > 0) {
        await this.connect();
        if (this.active) return;
      }
      const number = await this.ctx.reader.blockNumber();
      this.highestSeen = Math.max(this.highestSeen, number);
      const tip = this.sequencer.tip();
      if (tip === undefined || number > tip.number) {
        const block = await this.ctx.reader.blockByNumber(number);
        if (block && !this.stopped) this.enqueue({ block, source: 'poll', provider: undefined });
      }
    } catch (err) {
      this.ctx.logger.debug({ chain: this.ctx.chain, err: errorMessage(err) }, 'head poll failed');
    } finally {
      this.pollBusy = false;
    }
  }

  /** After a (re)subscribe: read the current head over HTTP so the gap is filled at once. */
  private async catchUp(): Promise<void> {
    try {
      const block = await this.ctx.reader.blockByNumber('latest');
      if (block && !this.stopped) this.enqueue({ block, source: 'backfill', provider: undefined });
    } catch (err) {
      this.ctx.logger.debug({ chain: this.ctx.chain, err: errorMessage(err) }, 'catch-up head read failed');
    }
  }

  private enqueue(item: SequencedHead): void {
    this.highestSeen = Math.max(this.highestSeen, item.block.number);
    this.sequencer.push(item);
  }
}

/** Metric label of an eth_subscribe result. */
export function subscribeResult(result: { ok: boolean; outcome?: { type: string } }): UpstreamSubscribeResult {
  if (result.ok) return 'ok';
  const type = result.outcome?.type;
  if (type === 'timeout') return 'timeout';
  if (type === 'network' || type === 'cancelled') return 'closed';
  return 'error';
}

