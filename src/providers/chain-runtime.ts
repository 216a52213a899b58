import type { ChainConfig, ProviderConfig } from '../config/index.js';
import type { LassoMetrics } from '../observability/metrics.js';
import { BREAKER_STATE_VALUE } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { LassoEvents } from '../observability/events.js';
import { CapabilityMemory } from '../resilience/index.js';
import { EvidenceStore, PROBE_METHOD, STRATEGY_NAMES, createStrategy } from '../routing/index.js';
import type { Strategy, StrategyName } from '../routing/index.js';
import { Coalescer } from '../resilience/coalescer.js';
import type { RoutedResponse } from '../pipeline/execute.js';
import { HedgeBudget } from '../resilience/hedge-budget.js';
import { HeadTracker } from './head-tracker.js';
import { ProviderRuntime } from './provider.js';
import { ReachabilityLog } from './reachability.js';

export interface ChainRuntimeDeps {
  metrics: LassoMetrics;
  logger: Logger;
  /** Where breaker transitions, failovers and the like are announced. @default a bus of its own */
  events?: LassoEvents;
  now?: () => number;
  random?: () => number;
  /** Largest answer accepted from one upstream (see HttpUpstreamOptions.maxResponseBytes). */
  maxUpstreamResponseBytes?: number;
}

/** What applyProviders changed, by provider id. */
export interface ProviderChanges {
  added: string[];
  removed: string[];
  replaced: string[];
}

/** How long a removed provider's in-flight requests may take before it is closed anyway. */
const DEFAULT_DRAIN_MS = 30_000;
const DRAIN_POLL_MS = 20;

/** Resolves when `p` has nothing in flight, or after `timeoutMs`. */
async function drained(p: ProviderRuntime, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (p.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
}

/**
 * Live state of one configured chain: its providers, the evidence gathered about them, the
 * strategies that order them, and the head tracker that measures lag.
 */
export class ChainRuntime {
  readonly name: string;
  readonly chainId: number;
  /** Changed only in place by applyProviders: the head tracker and the subscription engine hold this array. */
  readonly providers: readonly ProviderRuntime[];
  private readonly providerList: ProviderRuntime[];
  readonly evidence: EvidenceStore;
  readonly capabilities: CapabilityMemory;
  readonly headTracker: HeadTracker;
  /** Caps hedged attempts at a fraction of this chain's requests. */
  readonly hedgeBudget: HedgeBudget;
  /** Identical in-flight reads on this chain share one upstream execution. */
  readonly coalescer = new Coalescer<RoutedResponse>();
  readonly now: () => number;
  /** Announces what happens on this chain (dashboard, tests); shared by every chain of one Lasso. */
  readonly events: LassoEvents;
  private readonly providersById: Map<string, ProviderRuntime>;
  private announcedHead: number | undefined;
  private readonly strategies = new Map<StrategyName, Strategy>();
  private readonly createProvider: (config: ProviderConfig) => ProviderRuntime;
  /** Removed providers still finishing their in-flight requests. */
  private readonly retiring = new Set<Promise<void>>();
  private readonly logger: Logger;

  constructor(
    name: string,
    readonly config: ChainConfig,
    deps: ChainRuntimeDeps,
  ) {
    this.name = name;
    this.chainId = config.chainId;
    this.now = deps.now ?? Date.now;
    this.events = deps.events ?? new LassoEvents({ now: this.now });
    const random = deps.random ?? Math.random;
    const { metrics, logger } = deps;
    this.logger = logger;
    this.createProvider = (p) => {
      const provider = new ProviderRuntime(
        p,
        config.breaker,
        (transport, from, to, reason) => {
          metrics.breakerState.set({ chain: name, provider: p.id, transport }, BREAKER_STATE_VALUE[to]);
          metrics.breakerTransitions.inc({ chain: name, provider: p.id, transport, from, to });
          logger.info({ chain: name, provider: p.id, transport, from, to, reason }, 'breaker transition');
          this.events.emit({ type: 'breaker', chain: name, provider: p.id, transport, from, to, reason });
        },
        this.now,
        { upstream: config.subscriptions.upstream, random, logger: logger.child({ chain: name }) },
        { maxResponseBytes: deps.maxUpstreamResponseBytes },
      );
      metrics.breakerState.set({ chain: name, provider: p.id, transport: 'http' }, 0);
      if (provider.ws) metrics.breakerState.set({ chain: name, provider: p.id, transport: 'ws' }, 0);
      return provider;
    };
    this.providerList = config.providers.map(this.createProvider);
    this.providers = this.providerList;
    this.providersById = new Map(this.providers.map((p) => [p.id, p]));
    this.evidence = new EvidenceStore({ now: this.now });
    this.capabilities = new CapabilityMemory({ now: this.now });
    this.hedgeBudget = new HedgeBudget(config.hedging.maxExtraLoad, config.hedging.burst);
    for (const s of STRATEGY_NAMES) this.strategies.set(s, createStrategy(s, { random }));
    const reachabilityLog = new ReachabilityLog(name, logger);
    this.headTracker = new HeadTracker({
      providers: this.providers,
      intervalMs: config.headPollIntervalMs,
      timeoutMs: Math.min(config.headPollIntervalMs, 2000),
      now: this.now,
      onProbe: (p, latencyMs) => {
        if (latencyMs === undefined) this.evidence.recordFailure(p.id, PROBE_METHOD);
        else this.evidence.recordSuccess(p.id, PROBE_METHOD, latencyMs);
      },
      onUpdate: (p) => {
        reachabilityLog.update(p);
        const head = p.head.number;
        if (head !== undefined) metrics.providerHead.set({ chain: name, provider: p.id }, head);
        const chainHead = this.chainHead();
        if (chainHead !== undefined) metrics.chainHead.set({ chain: name }, chainHead);
        for (const q of this.providers) {
          const lag = this.lagOf(q);
          if (lag !== undefined) metrics.providerLag.set({ chain: name, provider: q.id }, lag);
        }
      },
    });
  }

  provider(id: string): ProviderRuntime | undefined {
    return this.providersById.get(id);
  }

  strategy(name: StrategyName): Strategy {
    const strategy = this.strategies.get(name);
    if (!strategy) throw new Error(`unknown strategy ${name}`);
    return strategy;
  }

  /**
   * Records a head Lasso has announced to clients (a newHeads delivery), so that requests for that
   * block count it as existing even before the head tracker polled a provider that has it.
   */
  noteHead(blockNumber: number): void {
    if (this.announcedHead === undefined || blockNumber > this.announcedHead) this.announcedHead = blockNumber;
  }

  /** Highest head any provider reported or Lasso announced. */
  chainHead(): number | undefined {
    let best: number | undefined = this.announcedHead;
    for (const p of this.providers) {
      const n = p.head.number;
      if (n !== undefined && (best === undefined || n > best)) best = n;
    }
    return best;
  }

  /** Blocks behind the chain head; undefined when the provider's head is unknown. */
  lagOf(provider: ProviderRuntime): number | undefined {
    const head = this.chainHead();
    return head === undefined || provider.head.number === undefined ? undefined : head - provider.head.number;
  }

  /** Lagging = known to be more than maxLagBlocks behind. A provider whose head is unknown is not lagging yet. */
  isLagging(provider: ProviderRuntime): boolean {
    const lag = this.lagOf(provider);
    return lag !== undefined && lag > this.config.maxLagBlocks;
  }

  /**
   * Applies a reloaded provider list: new ids are added, missing ids removed, changed ones replaced
   * (same id). A provider taken out gets no new requests at once and is closed when its in-flight
   * requests have ended (or after `drainMs`); its upstream subscriptions then fail over to another
   * provider as after any upstream loss, so clients keep theirs.
   */
  applyProviders(configs: readonly ProviderConfig[], drainMs = DEFAULT_DRAIN_MS): ProviderChanges {
    const changes: ProviderChanges = { added: [], removed: [], replaced: [] };
    const wanted = new Map(configs.map((c) => [c.id, c]));
    const retired: ProviderRuntime[] = [];
    for (const p of [...this.providerList]) {
      const next = wanted.get(p.id);
      if (next !== undefined && JSON.stringify(next) === JSON.stringify(p.config)) continue;
      this.providerList.splice(this.providerList.indexOf(p), 1);
      this.providersById.delete(p.id);
      retired.push(p);
      (next === undefined ? changes.removed : changes.replaced).push(p.id);
    }
    for (const c of configs) {
      if (this.providersById.has(c.id)) continue;
      const provider = this.createProvider(c);
      this.providerList.push(provider);
      this.providersById.set(c.id, provider);
      if (!changes.replaced.includes(c.id)) changes.added.push(c.id);
    }
    const order = new Map(configs.map((c, i) => [c.id, i]));
    this.providerList.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    for (const p of retired) {
      const closing = drained(p, drainMs)
        .then(() => p.close())
        .catch((err: unknown) => this.logger.warn({ chain: this.name, provider: p.id, err }, 'closing a removed provider failed'))
        .finally(() => this.retiring.delete(closing));
      this.retiring.add(closing);
    }
    return changes;
  }

  start(): void {
    this.headTracker.start();
  }

  async close(): Promise<void> {
    this.headTracker.stop();
    await Promise.all(this.retiring);
    await Promise.all(this.providers.map((p) => p.close()));
  }
}
