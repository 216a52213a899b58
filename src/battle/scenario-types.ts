import type { ChaosEntry, LassoOverrides, ProviderSpec, SubscriptionSpec } from '../chaos/scenario/index.js';
import type { MethodMix } from '../chaos/workload/index.js';

/**
 * Service level objectives of a battle. Every field is optional: an SLO that is not set is not
 * checked. Ratios are in [0, 1]; latencies and times in milliseconds.
 */
export interface SloSpec {
  /** HTTP requests that got a result, at least. */
  successRatio?: number;
  /** Latency percentiles (from the scheduled send time, open model), at most. */
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  /** Blocks (newHeads) and logs delivered to WebSocket subscribers / expected, at least. */
  wsDeliveryRatio?: number;
  /** Duplicate notifications / delivered, at most. */
  duplicateRatio?: number;
  /** Largest run of blocks a newHeads subscriber skipped at once, at most. */
  maxGapBlocks?: number;
  /** Fault injected -> traffic flows undisturbed through other providers again, worst episode, at most. */
  failoverMs?: number;
  /** Failure onset -> the faulty provider's breaker is open, worst episode, at most. */
  breakerOpenMs?: number;
  /** Repair -> the provider's breaker is closed again, worst episode, at most. */
  recoveryMs?: number;
  /**
   * Consistency, measured by a probe that reads heads and `latest` blocks in a loop and sends a
   * transfer every 2 s through Lasso, against the devnet's canonical chain. Setting any of these
   * runs the probe. Heads lower than one already returned to the probe, at most.
   */
  headsBackwards?: number;
  /** `latest` blocks older than a head already returned to the probe, at most. */
  olderLatest?: number;
  /** Heads or `latest` blocks above the canonical head + 1, at most. */
  bogusHeads?: number;
  /** Balance or nonce reads right after a receipt that miss the transaction, at most. */
  staleAfterReceipt?: number;
  /** p99 of (canonical head just before an eth_blockNumber read - the answer), in blocks, at most. */
  stalenessP99Blocks?: number;
  /**
   * Answers carrying a block or log the devnet had orphaned before the request was sent, or a
   * balance / nonce at a number that differs from the canonical value there, at most. Setting it
   * adds a loop to the probe that reads blocks (by number and hash), balances, nonces, logs and
   * receipts near the head and deep below it.
   */
  staleAnswers?: number;
  /**
   * A request slower than this counts as disturbed when measuring failover time.
   * @default max(3 x p99, p99 + 50 ms) of the requests before the first fault
   */
  disturbedLatencyMs?: number;
}

/** The SLOs that need the consistency probe. */
export const CONSISTENCY_SLOS = ['headsBackwards', 'olderLatest', 'bogusHeads', 'staleAfterReceipt', 'stalenessP99Blocks', 'staleAnswers'] as const satisfies readonly (keyof SloSpec)[];

/** Resource sampling of a soak run, and the growth it tolerates. */
export interface SoakSpec {
  /** Sampling interval. @default 5000 */
  intervalMs?: number;
  /** Samples in the first part of the run are ignored (start-up allocations). @default max(60 s, 10% of the run) */
  warmupMs?: number;
  /**
   * Largest tolerated growth between the median of the first and of the last quarter of the
   * samples after warm-up. Unset resources are sampled but not judged.
   */
  maxGrowth?: { heapMb?: number; rssMb?: number; handles?: number; sockets?: number; subscriptions?: number };
  /**
   * Largest tolerated growth over 48 hours, projected from the robust slope of the samples after
   * warm-up (a short run's figure is an extrapolation). Unset resources use the defaults.
   * @default heapMb 256, rssMb 512, eventLoopLagMs 50, handles 256, fds 256, sockets 256, upstreamSockets 64, wsConnections 1, subscriptions 1
   */
  max48h?: { heapMb?: number; rssMb?: number; eventLoopLagMs?: number; handles?: number; fds?: number; sockets?: number; upstreamSockets?: number; wsConnections?: number; subscriptions?: number };
}

/** Everything a battle needs to know about what to run: built-ins and scenario files both produce this. */
export interface BattleScenario {
  name: string;
  title: string;
  description: string;
  /** `builtin`, or the scenario file's path. */
  source: string;
  seed: number;
  durationMs: number;
  providers: (ProviderSpec & { id: string })[];
  lasso?: LassoOverrides;
  workload: {
    /** Requests per second. */
    rate: number;
    mix: MethodMix;
    timeoutMs?: number;
    strategy?: string;
    logsRangeBlocks?: number;
  };
  blockTimeMs: number;
  txPerBlock?: number;
  subscriptions: SubscriptionSpec[];
  chaos: ChaosEntry[];
  slos: SloSpec;
  soak?: SoakSpec;
  /** Comparison settings (`--compare`). */
  compare?: {
    /** Provider the `pinned` arm talks to. @default the first provider */
    pinTo?: string;
  };
}

/** Overrides from the command line. */
export interface ScenarioOverrides {
  durationMs?: number;
  rate?: number;
  seed?: number;
}
