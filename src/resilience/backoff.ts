export interface BackoffOptions {
  /** Wait before the first retry, in ms. */
  baseMs: number;
  /** Cap on the doubled wait, applied before the jitter. */
  maxMs: number;
  /** Relative jitter on the capped wait: 0.3 means ±30%, so peers that failed together spread out. @default 0 */
  jitterRatio?: number;
  /** Random source in [0, 1) for the jitter (seed it in tests). @default Math.random */
  random?: () => number;
}

/**
 * Exponential backoff: `baseMs` doubling per `attempt` (0 for the first wait) up to `maxMs`, then
 * jittered and rounded to whole ms.
 */
export function backoffMs(attempt: number, options: BackoffOptions): number {
  const base = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(0, attempt), 52));
  const jitter = 1 + (options.jitterRatio ?? 0) * (2 * (options.random ?? Math.random)() - 1);
  return Math.max(0, Math.round(base * jitter));
}
