/** How candidates are ordered for a request (DESIGN.md "Strategies"). */
export type StrategyName = 'fastest' | 'latency-weighted' | 'load-balanced' | 'round-robin' | 'priority';

export const STRATEGY_NAMES: readonly StrategyName[] = ['fastest', 'latency-weighted', 'load-balanced', 'round-robin', 'priority'];

export function isStrategyName(value: string): value is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(value);
}

export interface RankCandidate {
  providerId: string;
  /** Config priority; lower is preferred. */
  priority: number;
  /** Latency evidence for (provider, method); undefined = unmeasured. */
  latencyMs: number | undefined;
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
}

/** Creates a strategy. Each instance has its own state (the round-robin counter). */
export function createStrategy(name: StrategyName, deps: StrategyDeps): Strategy {
  switch (name) {
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

/**
 * Small seedable PRNG (mulberry32) for deterministic tests and reproducible battle runs.
 * Not for anything security-related.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
