import type { ChainRegistry } from '../providers/chain-registry.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { ProviderRuntime } from '../providers/provider.js';
import { providerReachability } from '../providers/reachability.js';
import { servableRange } from '../providers/servable-range.js';
import type { ServableRange } from '../providers/servable-range.js';

export interface ProviderView {
  id: string;
  url: string;
  priority: number;
  archive: boolean;
  /** Blocks it can serve: from `oldestBlock` (null: not known to lack any) and how that is known. */
  servable: { oldestBlock: number | null; source: ServableRange['source'] };
  head: number | null;
  lag: number | null;
  lagging: boolean;
  /** Why the provider gets no head-dependent traffic (its head runs implausibly ahead of the others); null when it agrees. */
  outlier: string | null;
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

function nullableOldest(range: ServableRange): ProviderView['servable'] {
  return { ...range, oldestBlock: range.oldestBlock ?? null };
}

export function providerView(chain: ChainRuntime, p: ProviderRuntime): ProviderView {
  const lag = chain.view.lagOf(p);
  const nextProbeAt = p.httpBreaker.nextProbeAt;
  return {
    id: p.id,
    url: p.displayUrl,
    priority: p.priority,
    archive: p.archive,
    servable: nullableOldest(servableRange(p, chain.capabilities)),
    head: p.head.number ?? null,
    lag: lag ?? null,
    lagging: chain.view.isLagging(p),
    outlier: chain.view.outlierReason(p.id) ?? null,
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

/**
 * Why a provider cannot take traffic now, or undefined when it can: its probes fail, its breaker is
 * open, or it is cooling down after a rate limit. Lagging still counts as able (a last resort).
 */
function unavailableBecause(chain: ChainRuntime, p: ProviderRuntime): string | undefined {
  const reachability = providerReachability(p);
  if (!reachability.reachable) return `unreachable (${reachability.lastError ?? 'probe failed'})`;
  if (p.httpBreaker.state === 'open') return 'breaker open';
  if (p.cooldown.isCoolingDown()) return `rate limited, cooling down for ${Math.ceil(p.cooldown.remainingMs() / 1000)} s`;
  return undefined;
}

export function chainsView(registry: ChainRegistry): unknown {
  return {
    chains: registry.all().map((c) => ({
      name: c.name,
      chainId: c.chainId,
      defaultStrategy: c.config.defaultStrategy,
      maxLagBlocks: c.config.maxLagBlocks,
      head: c.view.answerHead() ?? null,
      corroboratedHead: c.view.corroboratedHead() ?? null,
      safe: c.view.safe() ?? null,
      finalized: c.view.finalized() ?? null,
      blockTimeMs: Math.round(c.view.blockTimeMs),
      providers: c.providers.length,
      availableProviders: c.providers.filter((p) => unavailableBecause(c, p) === undefined).length,
    })),
  };
}

export function providersView(registry: ChainRegistry): unknown {
  return {
    chains: registry.all().map((c) => ({ chain: c.name, chainId: c.chainId, providers: c.providers.map((p) => providerView(c, p)) })),
  };
}

/**
 * Something beyond the chains' providers that can make Lasso degraded (shared state unreachable,
 * an outlier provider...): returns its current reasons, none when all is well.
 */
export type HealthSource = () => readonly string[];

export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface HealthView {
  status: HealthStatus;
  /** 200 while every chain has a provider that can serve (ok or degraded), 503 when down. */
  httpStatus: 200 | 503;
  body: {
    status: HealthStatus;
    reasons: string[];
    chains: { name: string; head: number | null; availableProviders: number; totalProviders: number }[];
  };
}

/**
 * The health contract: `down` (503) when some chain has no provider that can serve, so a load
 * balancer drains a replica only when it cannot serve; otherwise 200, `degraded` with the reasons
 * (providers that cannot serve or lag, and whatever the sources report) or `ok`.
 */
export function healthView(registry: ChainRegistry, sources: readonly HealthSource[] = []): HealthView {
  const reasons: string[] = [];
  let down = false;
  const chains = registry.all().map((c) => {
    let available = 0;
    for (const p of c.providers) {
      const because = unavailableBecause(c, p);
      if (because === undefined) available++;
      else reasons.push(`${c.name}: provider ${p.id} ${because}`);
      if (because === undefined && c.view.isLagging(p)) reasons.push(`${c.name}: provider ${p.id} lagging ${c.view.lagOf(p)} blocks behind`);
      const outlier = c.view.outlierReason(p.id);
      if (outlier !== undefined) reasons.push(`${c.name}: provider ${p.id} is an outlier (${outlier})`);
    }
    if (available === 0) {
      down = true;
      reasons.unshift(`${c.name}: no provider can serve`);
    }
    return { name: c.name, head: c.view.answerHead() ?? null, availableProviders: available, totalProviders: c.providers.length };
  });
  for (const source of sources) reasons.push(...source());
  const status: HealthStatus = down ? 'down' : reasons.length > 0 ? 'degraded' : 'ok';
  return { status, httpStatus: down ? 503 : 200, body: { status, reasons, chains } };
}

function roundOrNull(value: number | undefined, digits = 2): number | null {
  if (value === undefined) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
