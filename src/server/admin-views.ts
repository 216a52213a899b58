import type { ChainRegistry } from '../providers/chain-registry.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { ProviderRuntime } from '../providers/provider.js';

export interface ProviderView {
  id: string;
  url: string;
  priority: number;
  archive: boolean;
  head: number | null;
  lag: number | null;
  lagging: boolean;
  headError: string | null;
  inFlight: number;
  latencyEwmaMs: number | null;
  successRate: number | null;
  coolingDown: boolean;
  cooldownRemainingMs: number;
  channels: ChannelView[];
}

/** One channel of a provider; the ws channel (listed after http, when the provider has a wsUrl) adds its connection state. */
export interface ChannelView {
  transport: 'http' | 'ws';
  breaker: string;
  nextProbeInMs: number | null;
  /** ws only: idle (not used yet) | connecting | open | backoff | closed. */
  connection?: string;
  /** ws only: redacted ws URL. */
  url?: string;
  /** ws only: how long the current connection has been open, in ms. */
  connectedForMs?: number | null;
  reconnects?: number;
  consecutiveFailures?: number;
  lastError?: string | null;
  rttMs?: number | null;
  subscriptions?: number;
}

function wsChannelView(chain: ChainRuntime, p: ProviderRuntime): ChannelView[] {
  if (!p.ws) return [];
  const snap = p.ws.snapshot();
  const nextProbeAt = p.wsBreaker.nextProbeAt;
  return [
    {
      transport: 'ws',
      breaker: p.wsBreaker.state,
      nextProbeInMs: nextProbeAt === undefined ? null : Math.max(0, nextProbeAt - chain.now()),
      connection: snap.state,
      url: p.ws.displayUrl,
      connectedForMs: snap.connectedSince === undefined ? null : Math.max(0, chain.now() - snap.connectedSince),
      reconnects: snap.reconnects,
      consecutiveFailures: snap.consecutiveFailures,
      lastError: snap.lastError ?? null,
      rttMs: snap.rttMs ?? null,
      subscriptions: snap.subscriptions,
    },
  ];
}

export function providerView(chain: ChainRuntime, p: ProviderRuntime): ProviderView {
  const lag = chain.lagOf(p);
  const nextProbeAt = p.httpBreaker.nextProbeAt;
  return {
    id: p.id,
    url: p.displayUrl,
    priority: p.priority,
    archive: p.archive,
    head: p.head.number ?? null,
    lag: lag ?? null,
    lagging: chain.isLagging(p),
    headError: p.head.lastError ?? null,
    inFlight: p.inFlight,
    latencyEwmaMs: roundOrNull(chain.evidence.providerLatencyMs(p.id)),
    successRate: roundOrNull(chain.evidence.successRate(p.id), 4),
    coolingDown: p.cooldown.isCoolingDown(),
    cooldownRemainingMs: p.cooldown.remainingMs(),
    channels: [
      {
        transport: 'http',
        breaker: p.httpBreaker.state,
        nextProbeInMs: nextProbeAt === undefined ? null : Math.max(0, nextProbeAt - chain.now()),
      },
      ...wsChannelView(chain, p),
    ],
  };
}

/** A provider can take traffic now: breaker not open and not cooling down. Lagging still counts (last resort). */
function isAvailable(p: ProviderRuntime): boolean {
  return p.httpBreaker.state !== 'open' && !p.cooldown.isCoolingDown();
}

export function chainsView(registry: ChainRegistry): unknown {
  return {
    chains: registry.all().map((c) => ({
      name: c.name,
      chainId: c.chainId,
      defaultStrategy: c.config.defaultStrategy,
      maxLagBlocks: c.config.maxLagBlocks,
      head: c.chainHead() ?? null,
      providers: c.providers.length,
      availableProviders: c.providers.filter(isAvailable).length,
    })),
  };
}

export function providersView(registry: ChainRegistry): unknown {
  return {
    chains: registry.all().map((c) => ({ chain: c.name, chainId: c.chainId, providers: c.providers.map((p) => providerView(c, p)) })),
  };
}

/** Healthy when every chain has at least one provider that can take traffic; degraded with `reasons`. */
export function healthView(registry: ChainRegistry, reasons: readonly string[] = []): { healthy: boolean; body: unknown } {
  const chains = registry.all().map((c) => {
    const available = c.providers.filter(isAvailable).length;
    return { name: c.name, head: c.chainHead() ?? null, availableProviders: available, totalProviders: c.providers.length };
  });
  const healthy = chains.every((c) => c.availableProviders > 0);
  return { healthy, body: { status: healthy && reasons.length === 0 ? 'ok' : 'degraded', reasons, chains } };
}

function roundOrNull(value: number | undefined, digits = 2): number | null {
  if (value === undefined) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
