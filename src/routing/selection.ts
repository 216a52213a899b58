import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { ProviderRuntime } from '../providers/provider.js';
import { candidateEvidence } from './candidate-evidence.js';
import type { RankCandidate, StrategyName } from './strategies.js';

/** Why a provider was left out of a request's candidate list (reported in errors and /api). */
export type ExclusionReason = 'breaker_open' | 'cooldown' | 'unsupported_method';

export interface Selection {
  /** Providers to try, best first: healthy ones ordered by strategy, then lagging ones as a last resort. */
  candidates: ProviderRuntime[];
  excluded: { provider: ProviderRuntime; reason: ExclusionReason }[];
  /** Shortest remaining cooldown among rate-limited providers, when any are cooling down. */
  retryAfterMs: number | undefined;
}

export interface SelectionRequest {
  method: string;
  strategy: StrategyName;
  /** For eth_getLogs: blocks spanned, so providers with a known smaller range limit are skipped. */
  rangeSize?: number | undefined;
  /** Pin to one provider: no ordering, no failover, and no exclusion (the client asked for it). */
  pinnedProviderId?: string;
}

/**
 * Builds the ordered candidate list for one request: filter out what cannot serve now (open
 * breaker, rate-limit cooldown, method known unsupported), order the rest by the strategy, and
 * move lagging providers behind the in-sync ones instead of dropping them, so a chain whose
 * providers all lag still answers. A half-open provider goes first: its breaker admits one probe
 * at a time (the others skip it), and without traffic it would never be seen to recover; a failed
 * probe costs that request one failover.
 */
export function selectCandidates(chain: ChainRuntime, request: SelectionRequest): Selection {
  if (request.pinnedProviderId !== undefined) {
    const pinned = chain.provider(request.pinnedProviderId);
    return { candidates: pinned ? [pinned] : [], excluded: [], retryAfterMs: undefined };
  }
  const probing: ProviderRuntime[] = [];
  const inSync: ProviderRuntime[] = [];
  const lagging: ProviderRuntime[] = [];
  const excluded: Selection['excluded'] = [];
  let retryAfterMs: number | undefined;
  for (const provider of chain.providers) {
    if (provider.cooldown.isCoolingDown()) {
      excluded.push({ provider, reason: 'cooldown' });
      const remaining = provider.cooldown.remainingMs();
      retryAfterMs = retryAfterMs === undefined ? remaining : Math.min(retryAfterMs, remaining);
    } else if (provider.httpBreaker.state === 'open') {
      excluded.push({ provider, reason: 'breaker_open' });
    } else if (chain.capabilities.isUnsupported(provider.id, request.method, { rangeSize: request.rangeSize })) {
      excluded.push({ provider, reason: 'unsupported_method' });
    } else if (chain.isLagging(provider)) {
      lagging.push(provider);
    } else if (provider.httpBreaker.state === 'half_open') {
      probing.push(provider);
    } else {
      inSync.push(provider);
    }
  }
  const ordered =
    inSync.length < 2
      ? inSync
      : chain
          .strategy(request.strategy)
          .order(rankCandidates(chain, inSync, request))
          .map((c) => chain.provider(c.providerId) as ProviderRuntime);
  if (probing.length === 0 && lagging.length === 0) return { candidates: ordered, excluded, retryAfterMs };
  return { candidates: [...probing, ...ordered, ...lagging], excluded, retryAfterMs };
}

/** What the strategy orders by; `best` also gets each candidate's score evidence. */
function rankCandidates(chain: ChainRuntime, providers: readonly ProviderRuntime[], request: SelectionRequest): RankCandidate[] {
  const ranked = providers.map((p) => ({ providerId: p.id, priority: p.priority, latencyMs: chain.evidence.latencyMs(p.id, request.method) }));
  if (request.strategy !== 'best') return ranked;
  const facts = providers.map((p) => ({ id: p.id, inFlight: p.inFlight, capacity: p.config.maxConcurrent, lagBlocks: chain.lagOf(p) ?? 0 }));
  const evidence = candidateEvidence(chain.evidence, request.method, facts);
  return ranked.map((c, i) => ({ ...c, evidence: evidence[i] }));
}
