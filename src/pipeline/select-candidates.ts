import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { ProviderRuntime } from '../providers/provider.js';
import { servesBlock } from '../providers/servable-range.js';
import { candidateEvidence } from '../routing/candidate-evidence.js';
import type { CandidateFacts } from '../routing/candidate-evidence.js';
import type { RankCandidate, StrategyName } from '../routing/index.js';
import type { BlockTarget } from './block-target.js';

/** Why a provider was left out of a request's candidate list (reported in errors and /api). */
export type ExclusionReason = 'breaker_open' | 'cooldown' | 'unsupported_method' | 'range_limit' | 'outlier';

export interface Selection {
  /** Providers to try, best first. */
  candidates: ProviderRuntime[];
  excluded: { provider: ProviderRuntime; reason: ExclusionReason }[];
  /** Shortest remaining cooldown among rate-limited providers, when any are cooling down. */
  retryAfterMs: number | undefined;
}

export interface SelectionRequest {
  method: string;
  strategy: StrategyName;
  /** For eth_getLogs: blocks spanned, so providers with a known or configured smaller range limit are skipped. */
  rangeSize?: number | undefined;
  /** Pin to one provider: no ordering, no failover, and no exclusion (the client asked for it). */
  pinnedProviderId?: string;
  /** The block the request reads: providers known to have it go first. */
  target: BlockTarget;
  /** Depends on the chain head (a moving tag, eth_blockNumber): outliers are left out. */
  headDependent: boolean;
  /** Asked first when it can serve (the provider that took a transaction being read). */
  preferredProviderId?: string | undefined;
}

/**
 * Builds the ordered candidate list for one request: filter out what cannot serve now (open
 * breaker, rate-limit cooldown, method known unsupported, an outlier for a request that depends on
 * the head; open breakers come back as a last resort when nothing else is left), order the rest by
 * the strategy, and move providers that lack the block (lagging ones, or below the requested
 * number) behind those that have it instead of dropping them, so a chain whose providers all lag
 * still answers. A provider whose head polls fail is not judged by its last head (it says nothing
 * about the block): its breaker decides, on real traffic. A half-open provider goes first when it
 * has the block: its breaker admits one probe at a time (the others skip it), and without traffic
 * it would never be seen to recover; a failed probe costs that request one failover. Outliers that
 * are not left out go next to last, and providers whose history starts above the requested block
 * (pruned: configured or learned from their answers) go last, not out, in case the learning is wrong.
 */
export function selectCandidates(chain: ChainRuntime, request: SelectionRequest): Selection {
  if (request.pinnedProviderId !== undefined) {
    const pinned = chain.provider(request.pinnedProviderId);
    return { candidates: pinned ? [pinned] : [], excluded: [], retryAfterMs: undefined };
  }
  const { view } = chain;
  const targetNumber = request.target.kind === 'number' ? request.target.number : undefined;
  // Only `ready` and `excluded` are made up front: the other groups are usually empty, and this runs per request.
  let probing: ProviderRuntime[] | undefined;
  const ready: ProviderRuntime[] = [];
  let behind: ProviderRuntime[] | undefined;
  let outliers: ProviderRuntime[] | undefined;
  let pruned: ProviderRuntime[] | undefined;
  const excluded: Selection['excluded'] = [];
  let preferred: ProviderRuntime | undefined;
  let retryAfterMs: number | undefined;
  let openBreakers: ProviderRuntime[] | undefined;
  for (const provider of chain.providers) {
    if (provider.cooldown.isCoolingDown()) {
      excluded.push({ provider, reason: 'cooldown' });
      const remaining = provider.cooldown.remainingMs();
      retryAfterMs = retryAfterMs === undefined ? remaining : Math.min(retryAfterMs, remaining);
    } else if (provider.httpBreaker.state === 'open') {
      excluded.push({ provider, reason: 'breaker_open' });
      if (!view.isOutlier(provider) && !chain.capabilities.isUnsupported(provider.id, request.method, { rangeSize: request.rangeSize })) (openBreakers ??= []).push(provider);
    } else if (chain.capabilities.isUnsupported(provider.id, request.method, { rangeSize: request.rangeSize })) {
      excluded.push({ provider, reason: 'unsupported_method' });
    } else if (request.rangeSize !== undefined && request.rangeSize > (provider.config.getLogsMaxRange ?? Infinity)) {
      excluded.push({ provider, reason: 'range_limit' });
    } else if (view.isOutlier(provider)) {
      if (request.headDependent) excluded.push({ provider, reason: 'outlier' });
      else (outliers ??= []).push(provider);
    } else if (targetNumber !== undefined && !servesBlock(provider, chain.capabilities, targetNumber)) {
      (pruned ??= []).push(provider);
    } else if (view.isLagging(provider) || (targetNumber !== undefined && !view.hasBlock(provider, targetNumber) && provider.head.lastError === undefined)) {
      (behind ??= []).push(provider);
    } else if (provider.id === request.preferredProviderId) {
      preferred = provider;
    } else if (provider.httpBreaker.state === 'half_open') {
      (probing ??= []).push(provider);
    } else {
      ready.push(provider);
    }
  }
  const ordered = ready.length < 2 ? ready : orderByStrategy(chain, request, ready);
  if (preferred === undefined && probing === undefined && behind === undefined && outliers === undefined && pruned === undefined) {
    // Nothing else can serve: providers whose breakers are open, which the attempt race tries as a last resort.
    if (ordered.length === 0 && openBreakers !== undefined) return { candidates: lastResortOrder(openBreakers), excluded, retryAfterMs };
    return { candidates: ordered, excluded, retryAfterMs };
  }
  const candidates = [...(preferred === undefined ? [] : [preferred]), ...(probing ?? []), ...ordered];
  if (behind !== undefined) candidates.push(...(behind.length < 2 ? behind : byHeadDescending(behind)));
  candidates.push(...(outliers ?? []), ...(pruned ?? []));
  return { candidates, excluded, retryAfterMs };
}

/**
 * Providers whose breakers are open, for a request nothing else can serve: those whose head polls
 * answer first (they are likely back), then the one whose open period ends soonest.
 */
function lastResortOrder(providers: ProviderRuntime[]): ProviderRuntime[] {
  const polledOk = (p: ProviderRuntime) => (p.head.lastError === undefined ? 0 : 1);
  return providers.sort((a, b) => polledOk(a) - polledOk(b) || (a.httpBreaker.nextProbeAt ?? 0) - (b.httpBreaker.nextProbeAt ?? 0));
}

function orderByStrategy(chain: ChainRuntime, request: SelectionRequest, providers: ProviderRuntime[]): ProviderRuntime[] {
  return chain
    .strategy(request.strategy)
    .order(rankCandidates(chain, providers, request))
    .map((c) => chain.provider(c.providerId) as ProviderRuntime);
}

/** What the strategy orders by; `best` also gets each candidate's score evidence. */
function rankCandidates(chain: ChainRuntime, providers: readonly ProviderRuntime[], request: SelectionRequest): RankCandidate[] {
  const { method } = request;
  const evidence = request.strategy === 'best' ? candidateEvidence(chain.evidence, method, providers.map((p) => candidateFacts(chain, p))) : undefined;
  return providers.map((p, i) => ({ providerId: p.id, priority: p.priority, latencyMs: chain.evidence.latencyMs(p.id, method), evidence: evidence?.[i] }));
}

function candidateFacts(chain: ChainRuntime, p: ProviderRuntime): CandidateFacts {
  return {
    id: p.id,
    inFlight: p.inFlight,
    capacity: p.config.maxConcurrent,
    lagBlocks: Math.max(0, chain.view.lagOf(p) ?? 0),
    recoveredAt: latest(p.httpBreaker.recoveredAt, p.head.reachableSince),
  };
}

/** Providers that lack the block: the closest to having it first. */
function byHeadDescending(providers: ProviderRuntime[]): ProviderRuntime[] {
  return providers.sort((a, b) => (b.head.number ?? -1) - (a.head.number ?? -1));
}

/** The later of two optional times. */
function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
