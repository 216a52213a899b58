import type { ChainConfig } from '../config/index.js';
import type { LassoMetrics } from '../observability/metrics.js';
import { BREAKER_STATE_VALUE } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { LassoEvents } from '../observability/events.js';
import { CapabilityMemory } from '../resilience/index.js';
import { EvidenceStore, STRATEGY_NAMES, createStrategy } from '../routing/index.js';
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
}

/**
 * Live state of one configured chain: its providers, the evidence gathered about them, the
 * strategies that order them, and the head tracker that measures lag.
 */
export class ChainRuntime {
  readonly name: string;
  readonly chainId: number;
  readonly providers: readonly ProviderRuntime[];
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
    this.providers = config.providers.map(
      (p) =>
        new ProviderRuntime(
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
        ),
    );
    for (const p of this.providers) metrics.breakerState.set({ chain: name, provider: p.id, transport: 'http' }, 0);
    for (const p of this.providers) if (p.ws) metrics.breakerState.set({ chain: name, provider: p.id, transport: 'ws' }, 0);
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

  start(): void {
    this.headTracker.start();
  }

  async close(): Promise<void> {
    this.headTracker.stop();
    await Promise.all(this.providers.map((p) => p.close()));
  }
}
