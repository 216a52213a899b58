import type { ChainConfig } from '../config/index.js';
import type { LassoMetrics } from '../observability/metrics.js';
import { BREAKER_STATE_VALUE } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { CapabilityMemory } from '../resilience/index.js';
import { EvidenceStore, STRATEGY_NAMES, createStrategy } from '../routing/index.js';
import type { Strategy, StrategyName } from '../routing/index.js';
import { HeadTracker } from './head-tracker.js';
import { ProviderRuntime } from './provider.js';

export interface ChainRuntimeDeps {
  metrics: LassoMetrics;
  logger: Logger;
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
  readonly now: () => number;
  private readonly providersById: Map<string, ProviderRuntime>;
  private readonly strategies = new Map<StrategyName, Strategy>();

  constructor(
    name: string,
    readonly config: ChainConfig,
    deps: ChainRuntimeDeps,
  ) {
    this.name = name;
    this.chainId = config.chainId;
    this.now = deps.now ?? Date.now;
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
          },
          this.now,
        ),
    );
    for (const p of this.providers) metrics.breakerState.set({ chain: name, provider: p.id, transport: 'http' }, 0);
    this.providersById = new Map(this.providers.map((p) => [p.id, p]));
    this.evidence = new EvidenceStore({ now: this.now });
    this.capabilities = new CapabilityMemory({ now: this.now });
    for (const s of STRATEGY_NAMES) this.strategies.set(s, createStrategy(s, { random }));
    this.headTracker = new HeadTracker({
      providers: this.providers,
      intervalMs: config.headPollIntervalMs,
      timeoutMs: Math.min(config.headPollIntervalMs, 2000),
      now: this.now,
      onUpdate: (p) => {
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

  /** Highest head any provider reported. */
  chainHead(): number | undefined {
    let best: number | undefined;
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
