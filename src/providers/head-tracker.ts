import { describeOutcome } from '../transport/outcome.js';
import type { ChainView } from './chain-view.js';
import { HeadSubscription } from './head-subscription.js';
import type { HeadChannel } from './head-subscription.js';
import type { ProviderRuntime } from './provider.js';

export interface HeadTrackerOptions {
  providers: readonly ProviderRuntime[];
  view: ChainView;
  /** Longest interval between two head polls of one provider; shorter while blocks come faster. */
  maxIntervalMs: number;
  /** Shortest interval between two head polls of one provider. */
  minIntervalMs: number;
  /** Every this many head polls, a provider is also asked for its safe and finalized blocks. */
  finalityEvery: number;
  /** Called after every poll (success or not) so metrics and lag state stay current. */
  onUpdate: (provider: ProviderRuntime) => void;
  /**
   * Told how each poll went: polls are the routing evidence of providers that get no user traffic.
   * `latencyMs` is undefined for a poll that failed.
   */
  onProbe?: (provider: ProviderRuntime, latencyMs: number | undefined) => void;
  /**
   * The channel a provider's newHeads subscription is held on (none: polls only).
   * @default the provider's own ws channel
   */
  headChannel?: (provider: ProviderRuntime) => HeadChannel | undefined;
}

/** While a provider's head subscription is live, it is polled only every this many intervals (at most 2 × maxIntervalMs apart). */
const SUBSCRIBED_POLL_EVERY = 5;

/** Timeout of one head poll, as for a client's eth_blockNumber. */
const POLL_TIMEOUT_MS = 1_000;

/**
 * Polls every provider's eth_blockNumber, each on its own timer, about once per block time
 * (bounded), and feeds the answers to the chain view. Providers are polled out of phase, so that
 * the chain's head is refreshed several times per block. Polls bypass breakers on purpose: they
 * are how a provider that receives no traffic (excluded, lagging) is seen to recover.
 *
 * A provider with a WebSocket channel also feeds the view from its own newHeads subscription
 * (head and hash of each block as it announces them, so reorgs show without any client request);
 * while that subscription is live its polls slow to a liveness check, and the moment it is lost
 * the provider is polled at once and at the normal pace again.
 */
export class HeadTracker {
  private readonly timers = new Map<ProviderRuntime, NodeJS.Timeout>();
  private readonly tracked = new Set<ProviderRuntime>();
  private readonly polls = new Map<ProviderRuntime, number>();
  private readonly subscriptions = new Map<ProviderRuntime, HeadSubscription>();
  private running = false;

  constructor(private readonly options: HeadTrackerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const { providers } = this.options;
    providers.forEach((p, i) => this.track(p, ((i + 1) * this.intervalMs()) / providers.length));
  }

  stop(): void {
    this.running = false;
    this.tracked.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subscriptions.values()) s.stop();
    this.subscriptions.clear();
  }

  /** Starts polling a provider (one added while running): now, then every interval after `phaseMs`. */
  track(provider: ProviderRuntime, phaseMs = this.intervalMs()): void {
    if (!this.running || this.tracked.has(provider)) return;
    this.tracked.add(provider);
    this.subscribe(provider);
    void this.poll(provider).finally(() => this.schedule(provider, phaseMs));
  }

  /** Whether this provider's head comes from a live newHeads subscription (its polls are then rare). */
  isSubscribed(provider: ProviderRuntime): boolean {
    return this.subscriptions.get(provider)?.healthy === true;
  }

  /** Stops polling a provider (one removed while running). */
  stopTracking(provider: ProviderRuntime): void {
    this.tracked.delete(provider);
    this.polls.delete(provider);
    clearTimeout(this.timers.get(provider));
    this.timers.delete(provider);
    this.subscriptions.get(provider)?.stop();
    this.subscriptions.delete(provider);
  }

  /** Polls every provider once and resolves when all have answered or timed out. */
  async pollAll(): Promise<void> {
    await Promise.all(this.options.providers.map((p) => this.poll(p)));
  }

  private intervalMs(): number {
    const { minIntervalMs, maxIntervalMs, view } = this.options;
    return Math.min(maxIntervalMs, Math.max(minIntervalMs, view.blockTimeMs));
  }

  private subscribe(provider: ProviderRuntime): void {
    const channel = this.options.headChannel ? this.options.headChannel(provider) : provider.ws;
    if (channel === undefined) return;
    const { view, maxIntervalMs } = this.options;
    const subscription = new HeadSubscription({
      channel,
      subscribeTimeoutMs: Math.max(POLL_TIMEOUT_MS, 2 * maxIntervalMs),
      onHead: (number, hash) => {
        view.observeHead(provider, number);
        view.observeBlock(provider, number, hash);
        this.options.onUpdate(provider);
      },
      onHealth: (healthy) => {
        // Lost: poll now rather than at the end of a slowed interval, so the head has no gap.
        if (!healthy) this.pollSoon(provider);
      },
    });
    this.subscriptions.set(provider, subscription);
    subscription.start();
  }

  /** Replaces a pending poll by one now; a poll in flight already reschedules itself when it ends. */
  private pollSoon(provider: ProviderRuntime): void {
    const timer = this.timers.get(provider);
    if (timer === undefined || !this.tracked.has(provider)) return;
    clearTimeout(timer);
    this.timers.delete(provider);
    this.schedule(provider, 0);
  }

  private schedule(provider: ProviderRuntime, delayMs: number): void {
    if (!this.tracked.has(provider)) return;
    const timer = setTimeout(() => {
      this.timers.delete(provider);
      void this.poll(provider).finally(() => this.schedule(provider, this.nextPollMs(provider)));
    }, delayMs);
    timer.unref();
    this.timers.set(provider, timer);
  }

  private nextPollMs(provider: ProviderRuntime): number {
    const interval = this.intervalMs();
    // Capped so that a quiet chain (no new heads) still refreshes the head before the view calls it stale.
    return this.isSubscribed(provider) ? Math.min(SUBSCRIBED_POLL_EVERY * interval, 2 * this.options.maxIntervalMs) : interval;
  }

  private async poll(provider: ProviderRuntime): Promise<void> {
    const { view } = this.options;
    const count = (this.polls.get(provider) ?? 0) + 1;
    this.polls.set(provider, count);
    // Polls of one provider never overlap (the next is scheduled when this one ends), so a slow
    // answer only delays the next poll; the timeout is the method's own, not the interval.
    const timeoutMs = POLL_TIMEOUT_MS;
    try {
      const started = performance.now();
      const outcome = await provider.http.send({ method: 'eth_blockNumber', timeoutMs });
      if (outcome.type === 'result' && typeof outcome.result === 'string' && /^0x[0-9a-fA-F]+$/.test(outcome.result)) {
        this.options.onProbe?.(provider, performance.now() - started);
        view.observeHead(provider, this.polledHead(provider, Number.parseInt(outcome.result, 16)));
        if (count % this.options.finalityEvery === 1) await this.pollFinality(provider, timeoutMs);
      } else {
        this.options.onProbe?.(provider, undefined);
        view.observeFailure(provider, outcome.type === 'result' ? 'malformed eth_blockNumber result' : describeOutcome(outcome));
      }
    } finally {
      this.options.onUpdate(provider);
    }
  }

  /**
   * The head a successful poll stands for. While the subscription announces heads at least as high
   * as the chain's, the poll is a liveness check and the head stays the announced one: an HTTP
   * answer that disagrees must not make the head flip between two sources. Before the first
   * announcement, or when announcements fell behind the chain (a silent stall), the poll's word counts.
   */
  private polledHead(provider: ProviderRuntime, polled: number): number {
    const announced = this.subscriptions.get(provider)?.liveHead;
    const chainHead = this.options.view.corroboratedHead();
    return announced !== undefined && (chainHead === undefined || announced >= chainHead) ? announced : polled;
  }

  private async pollFinality(provider: ProviderRuntime, timeoutMs: number): Promise<void> {
    const [safe, finalized] = await Promise.all(
      (['safe', 'finalized'] as const).map(async (tag) => {
        const outcome = await provider.http.send({ method: 'eth_getBlockByNumber', params: [tag, false], timeoutMs });
        const block = outcome.type === 'result' ? (outcome.result as { number?: unknown } | null) : null;
        return typeof block?.number === 'string' ? Number.parseInt(block.number, 16) : undefined;
      }),
    );
    this.options.view.observeFinality(provider, safe, finalized);
  }
}
