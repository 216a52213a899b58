import { isSaturated, scoreCandidate } from './score.js';
import type { ScoreEvidence, ScoreOptions } from './score.js';

/** The strategies, by the name config and URLs use. */
export const STRATEGY_NAMES = ['best', 'fastest', 'latency-weighted', 'load-balanced', 'round-robin', 'priority'] as const;

/** How candidates are ordered for a request. */
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** The strategy a chain uses unless its config or the request's URL names another. */
export const DEFAULT_STRATEGY: StrategyName = 'best';

export function isStrategyName(value: string): value is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(value);
}

export interface RankCandidate {
  providerId: string;
  /** Config priority; lower is preferred. */
  priority: number;
  /** Latency evidence for (provider, method); undefined = unmeasured. */
  latencyMs: number | undefined;
  /** `best` only: what the candidate's score is computed from. Without it, `latencyMs` stands for every quantile. */
  evidence?: ScoreEvidence;
}

export interface Strategy {
  readonly name: StrategyName;
  /** Returns a new array: a permutation of `candidates`, best first. Never mutates the input. */
  order(candidates: readonly RankCandidate[]): RankCandidate[];
}

export interface StrategyDeps {
  /** Random source in [0, 1). Inject a seeded one in tests. */
  random: () => number;
  /**
   * `fastest` only: probability that a request puts an unmeasured candidate first, so a new (or
   * forgotten) provider gets its first samples quickly. Otherwise unmeasured candidates go right
   * after the fastest one, i.e. they are the first failover target. A dead unmeasured provider
   * thus costs at most this share of requests one failed attempt until its breaker opens.
   * @default 0.2
   */
  exploreProbability?: number;
  /**
   * `latency-weighted` only: exponent of the weight (best/latency)^exponent. 3 sends most
   * traffic to the fastest while a provider 2x slower still gets 1/8 of its share. @default 3
   */
  weightExponent?: number;
  /**
   * `best` only: candidates whose score is within this fraction of the best one's (plus
   * `tieMarginMs`) count as equally good and share the traffic at random; all others get user
   * traffic only as failover targets, or when everything better is saturated. @default 0.1
   */
  tieMargin?: number;
  /** `best` only: absolute part of the tie margin, in ms (below it, differences are noise). @default 1 */
  tieMarginMs?: number;
  /** `best` only: costs behind the score. */
  score?: ScoreOptions;
}

/** Creates a strategy. Each instance has its own state (the round-robin counter). */
export function createStrategy(name: StrategyName, deps: StrategyDeps): Strategy {
  switch (name) {
    case 'best':
      return best(deps.random, deps.tieMargin ?? 0.1, deps.tieMarginMs ?? 1, deps.score ?? {});
    case 'fastest':
      return fastest(deps.random, deps.exploreProbability ?? 0.2);
    case 'latency-weighted':
      return latencyWeighted(deps.random, deps.weightExponent ?? 3);
    case 'load-balanced':
    case 'round-robin':
      return roundRobin(name);
    case 'priority':
      return { name, order: (candidates) => [...candidates].sort(byPriority) };
  }
}

function byId(a: RankCandidate, b: RankCandidate): number {
  return a.providerId < b.providerId ? -1 : a.providerId > b.providerId ? 1 : 0;
}

function byPriority(a: RankCandidate, b: RankCandidate): number {
  return a.priority - b.priority || byId(a, b);
}

/**
 * Ascending latency (ties by priority, then id). Unmeasured candidates: one of them goes first
 * with probability `explore`, the rest right after the fastest measured one. With nothing
 * measured yet, priority order.
 */
function fastest(random: () => number, explore: number): Strategy {
  return {
    name: 'fastest',
    order(candidates) {
      const measured = candidates.filter((c) => c.latencyMs !== undefined);
      const unmeasured = candidates.filter((c) => c.latencyMs === undefined).sort(byPriority);
      if (measured.length === 0) return unmeasured;
      measured.sort((a, b) => (a.latencyMs as number) - (b.latencyMs as number) || byPriority(a, b));
      if (unmeasured.length === 0) return measured;
      const [best, ...rest] = measured as [RankCandidate, ...RankCandidate[]];
      if (random() < explore) {
        const pick = Math.min(unmeasured.length - 1, Math.floor(random() * unmeasured.length));
        const [explorer] = unmeasured.splice(pick, 1) as [RankCandidate];
        return [explorer, best, ...unmeasured, ...rest];
      }
      return [best, ...unmeasured, ...rest];
    },
  };
}

/**
 * Lowest score first, never sampling slower providers with user traffic: their evidence is kept fresh
 * off the request path (head polls, hedges, failovers). Candidates within the tie margin of the best
 * share its traffic at random, saturated ones go behind every unsaturated one (load sheds to the
 * next best instead of queueing), and unmeasured ones go right after the first, as its failover
 * target. With nothing measured, priority order.
 */
function best(random: () => number, tieMargin: number, tieMarginMs: number, scoreOptions: ScoreOptions): Strategy {
  return {
    name: 'best',
    order(candidates) {
      const measured: { c: RankCandidate; score: number; saturated: boolean }[] = [];
      const unmeasured: RankCandidate[] = [];
      for (const c of candidates) {
        const evidence = c.evidence ?? evidenceFromLatency(c.latencyMs);
        const score = scoreCandidate(evidence, scoreOptions);
        if (score === undefined) unmeasured.push(c);
        else measured.push({ c, score, saturated: isSaturated(evidence) });
      }
      unmeasured.sort(byPriority);
      if (measured.length === 0) return unmeasured;
      measured.sort((a, b) => Number(a.saturated) - Number(b.saturated) || a.score - b.score || byPriority(a.c, b.c));
      const lead = measured[0] as (typeof measured)[number];
      const limit = lead.score * (1 + tieMargin) + tieMarginMs;
      let ties = 1;
      while (ties < measured.length) {
        const next = measured[ties] as (typeof measured)[number];
        if (next.saturated !== lead.saturated || next.score > limit) break;
        ties++;
      }
      if (ties > 1) {
        const pick = Math.min(ties - 1, Math.floor(random() * ties));
        measured.unshift(...measured.splice(pick, 1));
      }
      const ordered = measured.map((m) => m.c);
      ordered.splice(1, 0, ...unmeasured);
      return ordered;
    },
  };
}

function evidenceFromLatency(latencyMs: number | undefined): ScoreEvidence {
  return {
    latency: latencyMs === undefined ? undefined : { p50: latencyMs, p90: latencyMs, p99: latencyMs },
    errorRate: undefined,
    lagBlocks: 0,
    inFlight: 0,
    capacity: Infinity,
  };
}

/** Latencies below this are treated as equal to it (guards the ratio against 0 ms). */
const MIN_LATENCY_MS = 0.01;
/** Weights never reach 0, so every candidate keeps a defined place in the order. */
const MIN_WEIGHT = 1e-12;

/**
 * Weighted random order without replacement, weight (best/latency)^exponent; unmeasured
 * candidates get the best's weight (1). Uses Efraimidis–Spirakis keys ln(u)/w: one draw per
 * candidate, and the probability of being first is exactly w / Σw.
 */
function latencyWeighted(random: () => number, exponent: number): Strategy {
  return {
    name: 'latency-weighted',
    order(candidates) {
      let best = Infinity;
      for (const c of candidates) if (c.latencyMs !== undefined) best = Math.min(best, Math.max(MIN_LATENCY_MS, c.latencyMs));
      const keyed = candidates.map((c) => {
        const w =
          c.latencyMs === undefined || !Number.isFinite(best) ? 1 : Math.max(MIN_WEIGHT, (best / Math.max(MIN_LATENCY_MS, c.latencyMs)) ** exponent);
        const u = 1 - random(); // (0, 1]: ln(u) is finite
        return { c, key: Math.log(u) / w };
      });
      keyed.sort((a, b) => b.key - a.key);
      return keyed.map((k) => k.c);
    },
  };
}

/** Even spread: a canonical order (by id) rotated by one on every call. */
function roundRobin(name: 'load-balanced' | 'round-robin'): Strategy {
  let counter = 0;
  return {
    name,
    order(candidates) {
      const sorted = [...candidates].sort(byId);
      const n = sorted.length;
      if (n <= 1) return sorted;
      const start = counter % n;
      counter = (counter + 1) % 0x7fffffff;
      return [...sorted.slice(start), ...sorted.slice(0, start)];
    },
  };
}
