/**
 * The score of one candidate for the `best` strategy: the expected cost, in ms, of sending one
 * request to it now. Built from recent tail latency (not only a mean: a provider with a good median
 * and a bad p99 makes users wait), its failure rate (a failed attempt costs a failover), how far it
 * lags the chain head, and the queue its in-flight attempts imply. Rate-limited providers are not
 * scored: selection sets them aside while they cool down. Pure: the caller gathers the evidence.
 */

/** Recent latency quantiles of successful attempts, in ms. */
export interface TailLatency {
  p50: number;
  p90: number;
  p99: number;
}

/** Everything a candidate's score is computed from. */
export interface ScoreEvidence {
  /** Undefined: not measured yet (the candidate has no score). */
  latency: TailLatency | undefined;
  /** Share of recent attempts that failed (timeouts included); undefined when none were recorded. */
  errorRate: number | undefined;
  /** Blocks behind the chain head. */
  lagBlocks: number;
  /** Attempts in flight on the provider now. */
  inFlight: number;
  /** Attempts the provider serves at once before requests queue (its connection pool size). */
  capacity: number;
}

export interface ScoreOptions {
  /**
   * Cost of one failed attempt, in ms: roughly what a failover adds (an attempt timeout, then the
   * next provider). A 5% failure rate thus costs 10 ms by default.
   * @default 200
   */
  failureCostMs?: number;
  /** Cost per block of lag behind the chain head, in ms (its answers may be stale or null). @default 20 */
  lagCostMs?: number;
}

export const DEFAULT_SCORE_OPTIONS: Required<ScoreOptions> = { failureCostMs: 200, lagCostMs: 20 };

/**
 * Weighted blend of median and tail: half of requests see about the median, and the tail is what a
 * user's p99 inherits.
 */
export function tailCostMs(latency: TailLatency): number {
  return 0.5 * latency.p50 + 0.3 * latency.p90 + 0.2 * latency.p99;
}

/** True when every connection to the provider is busy: a new request would queue behind them. */
export function isSaturated(evidence: Pick<ScoreEvidence, 'inFlight' | 'capacity'>): boolean {
  return evidence.inFlight >= evidence.capacity;
}

/** Expected cost in ms (lower is better); undefined for an unmeasured candidate. */
export function scoreCandidate(evidence: ScoreEvidence, options: ScoreOptions = {}): number | undefined {
  const { latency } = evidence;
  if (latency === undefined) return undefined;
  // Read one by one rather than merged into a new object: this runs per candidate per request.
  const failureCostMs = options.failureCostMs ?? DEFAULT_SCORE_OPTIONS.failureCostMs;
  const lagCostMs = options.lagCostMs ?? DEFAULT_SCORE_OPTIONS.lagCostMs;
  // A request beyond the pool waits for a connection: about one median per full round of the pool.
  const queued = Math.max(0, evidence.inFlight + 1 - evidence.capacity);
  const queueMs = evidence.capacity > 0 ? (queued / evidence.capacity) * latency.p50 : 0;
  return (
    tailCostMs(latency) +
    queueMs +
    (evidence.errorRate ?? 0) * failureCostMs +
    Math.max(0, evidence.lagBlocks) * lagCostMs
  );
}

/**
 * A candidate's latency for a method it has no fresh samples of: its median probe latency (head
 * polls: its distance) plus what the method costs over the probe median, per quantile, on a
 * reference provider that has both (the method's own work and tail, about the same everywhere).
 * Without a reference, the median alone. Only the probe median is used: a few probe samples have a
 * noisy tail, and one slow poll must not keep a provider out of use for minutes.
 */
export function estimateTail(probe: TailLatency, reference: { method: TailLatency; probe: TailLatency } | undefined): TailLatency {
  const base = probe.p50;
  if (reference === undefined) return { p50: base, p90: base, p99: base };
  const extra = (q: keyof TailLatency): number => Math.max(0, reference.method[q] - reference.probe.p50);
  return { p50: base + extra('p50'), p90: base + extra('p90'), p99: base + extra('p99') };
}
