import type { ChainRegistry } from '../providers/chain-registry.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import { providerView } from '../server/admin-views.js';
import type { SubscriptionService } from '../subscriptions/types.js';
import type { EventLog, LogEntry } from './event-log.js';

/** What a provider card shows right now. */
export interface ProviderCardState {
  id: string;
  /** HTTP breaker state, named as /api/providers names it. */
  state: string;
  nextProbeInMs: number | null;
  head: number | null;
  lag: number | null;
  lagging: boolean;
  inFlight: number;
  cooldownRemainingMs: number;
  /** The upstream WebSocket channel, when the provider has one. */
  ws: { connection: string; breaker: string } | null;
}

export interface SubscriptionStreamState {
  /** Canonical subscription key (kind, and the normalised filter for logs). */
  key: string;
  clients: number;
  /** Provider of the upstream subscription; null while switching or polling. */
  provider: string | null;
}

export interface ChainState {
  name: string;
  chainId: number;
  head: number | null;
  providers: ProviderCardState[];
  subscriptions: {
    clients: number;
    upstream: number;
    streams: SubscriptionStreamState[];
    lastFailover: LogEntry | null;
    lastGapFill: LogEntry | null;
  };
}

/** The live state of every chain, from the same views /api/providers serves. */
export function chainStates(chains: ChainRegistry, subscriptions: (chain: ChainRuntime) => SubscriptionService | undefined, log: EventLog): ChainState[] {
  return chains.all().map((chain) => {
    const stats = subscriptions(chain)?.stats();
    return {
      name: chain.name,
      chainId: chain.chainId,
      head: chain.view.answerHead() ?? null,
      providers: chain.providers.map((p) => {
        const view = providerView(chain, p);
        const [http, ws] = view.channels;
        return {
          id: view.id,
          state: http?.breaker ?? 'closed',
          nextProbeInMs: http?.nextProbeInMs ?? null,
          head: view.head,
          lag: view.lag,
          lagging: view.lagging,
          inFlight: view.inFlight,
          cooldownRemainingMs: view.cooldownRemainingMs,
          ws: ws ? { connection: ws.connection ?? 'idle', breaker: ws.breaker } : null,
        };
      }),
      subscriptions: {
        clients: stats?.clientSubscriptions ?? 0,
        upstream: stats?.upstreamSubscriptions ?? 0,
        streams: Object.entries(stats?.byKey ?? {}).map(([key, s]) => ({ key, clients: s.clients, provider: s.provider ?? null })),
        lastFailover: log.latest(chain.name, 'subscription_failover') ?? null,
        lastGapFill: log.latest(chain.name, 'gap_fill') ?? null,
      },
    };
  });
}
