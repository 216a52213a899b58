import type { ChainConfig, ProviderConfig } from '../config/index.js';
import type { LassoMetrics } from '../observability/metrics.js';
import { BREAKER_STATE_VALUE } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { LassoEvents } from '../observability/events.js';
import { CapabilityMemory } from '../resilience/index.js';
import { EvidenceStore, PROBE_METHOD, STRATEGY_NAMES, createStrategy } from '../routing/index.js';
import type { Strategy, StrategyName } from '../routing/index.js';
import { ChainView } from './chain-view.js';
import type { ChainViewChange } from './chain-view.js';
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
 * strategies that order them, and the chain view fed by the head tracker.
 */
export class ChainRuntime {
  readonly name: string;
  readonly chainId: number;
  /** Changed only in place by applyProviders: the head tracker and the subscription engine hold this array. */
  readonly providers: readonly ProviderRuntime[];
  private readonly providerList: ProviderRuntime[];
  readonly evidence: EvidenceStore;
  readonly capabilities: CapabilityMemory;
  /** What Lasso believes about the chain: heads, corroborated head, outliers, finality, hashes. */
  readonly view: ChainView;
  readonly headTracker: HeadTracker;
  readonly now: () => number;
  /** Announces what happens on this chain (dashboard, tests); shared by every chain of one Lasso. */
  readonly events: LassoEvents;
  private readonly providersById: Map<string, ProviderRuntime>;
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
    for (const s of STRATEGY_NAMES) this.strategies.set(s, createStrategy(s, { random }));
    const reachabilityLog = new ReachabilityLog(name, logger);
    const staleAfterMs = 3 * config.headPollIntervalMs + 2_000;
    this.view = new ChainView({
      providers: this.providers,
      maxLagBlocks: config.maxLagBlocks,
      maxAheadBlocks: config.maxAheadBlocks ?? config.maxLagBlocks,
      staleAfterMs,
      minBlockTimeMs: config.subscriptions.minBlockTimeMs,
      maxBlockTimeMs: config.subscriptions.maxBlockTimeMs,
      now: this.now,
      onChange: (change) => this.onViewChange(change, metrics, logger),
    });
    for (const p of this.providers) metrics.providerOutlier.set({ chain: name, provider: p.id }, 0);
    this.headTracker = new HeadTracker({
      providers: this.providers,
      view: this.view,
      maxIntervalMs: config.headPollIntervalMs,
      minIntervalMs: Math.min(250, config.headPollIntervalMs),
      finalityEvery: 10,
      onProbe: (p, latencyMs) => {
        if (latencyMs === undefined) this.evidence.recordFailure(p.id, PROBE_METHOD);
        else this.evidence.recordSuccess(p.id, PROBE_METHOD, latencyMs);
      },
      onUpdate: (p) => {
        reachabilityLog.update(p);
        const head = p.head.number;
        if (head !== undefined) metrics.providerHead.set({ chain: name, provider: p.id }, head);
        const chainHead = this.view.corroboratedHead();
        if (chainHead !== undefined) metrics.chainHead.set({ chain: name }, chainHead);
        for (const q of this.providers) {
          const lag = this.view.lagOf(q);
          if (lag !== undefined) metrics.providerLag.set({ chain: name, provider: q.id }, lag);
        }
      },
    });
  }

  private onViewChange(change: ChainViewChange, metrics: LassoMetrics, logger: Logger): void {
    const chain = this.name;
    if (change.type === 'outlier') {
      metrics.providerOutlier.set({ chain, provider: change.providerId }, 1);
      metrics.outlierEvents.inc({ chain, provider: change.providerId });
      this.events.emit({ type: 'outlier', chain, provider: change.providerId, reason: change.reason });
      logger.warn({ chain, provider: change.providerId, reason: change.reason }, 'provider is an outlier: no head-dependent traffic until it agrees again');
    } else if (change.type === 'outlier_cleared') {
      metrics.providerOutlier.set({ chain, provider: change.providerId }, 0);
      this.events.emit({ type: 'outlier', chain, provider: change.providerId, reason: 'agrees with the chain head again', outlier: false });
      logger.info({ chain, provider: change.providerId }, 'provider agrees with the chain head again');
    } else {
      metrics.reorgs.inc({ chain });
      logger.info({ chain, number: change.number, depth: change.depth }, 'reorg seen');
      this.events.emit({ type: 'reorg', chain, forkPoint: change.number - 1, depth: change.depth });
    }
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
      this.headTracker.stopTracking(p);
      this.view.forget(p.id);
    }
    for (const c of changes.added.concat(changes.replaced)) this.headTracker.track(this.providersById.get(c) as ProviderRuntime);
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
