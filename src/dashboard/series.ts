import type { ChainTotals, ProviderTotals } from './metric-totals.js';
import { quantileBetween } from './metric-totals.js';

/** One provider over one sampling interval. */
export interface ProviderPoint {
  /** Upstream attempts in the interval. */
  attempts: number;
  /** Failed attempts in the interval by error class (attempts Lasso cancelled itself are not errors). */
  errors: Record<string, number>;
  /** Upstream latency quantiles in the interval (ms); null without attempts. */
  p50: number | null;
  p99: number | null;
}

/** One chain over one sampling interval, stamped at its end. */
export interface ChainPoint {
  /** ms since epoch */
  t: number;
  /** Client requests per second. */
  rps: number;
  /** Answered / requests in the interval; null without requests. */
  successRatio: number | null;
  providers: Record<string, ProviderPoint>;
}

export interface SeriesOptions {
  /** How much history is kept per chain. @default 300_000 (5 minutes) */
  windowMs?: number;
}

export const SERIES_DEFAULTS = { windowMs: 300_000 } as const;

const NOT_ERRORS = new Set(['success', 'cancelled']);

/**
 * Turns successive lifetime totals into per-interval points (rates, ratios, latency quantiles),
 * keeping the last `windowMs` of them per chain.
 */
export class DashboardSeries {
  readonly windowMs: number;
  private previous: { at: number; totals: Map<string, ChainTotals> } | undefined;
  private readonly points = new Map<string, ChainPoint[]>();

  constructor(options: SeriesOptions = {}) {
    this.windowMs = options.windowMs ?? SERIES_DEFAULTS.windowMs;
  }

  /** Adds the interval since the previous call; the first call only sets the baseline. Returns the new points by chain. */
  add(at: number, totals: Map<string, ChainTotals>): Map<string, ChainPoint> {
    const added = new Map<string, ChainPoint>();
    const previous = this.previous;
    this.previous = { at, totals };
    if (!previous || at <= previous.at) return added;
    const seconds = (at - previous.at) / 1000;
    for (const [chain, now] of totals) {
      const before = previous.totals.get(chain);
      const requests = now.requests - (before?.requests ?? 0);
      const answered = now.answered - (before?.answered ?? 0);
      const providers: Record<string, ProviderPoint> = {};
      for (const [id, provider] of now.providers) providers[id] = providerPoint(before?.providers.get(id), provider);
      const point: ChainPoint = { t: at, rps: round(requests / seconds, 1), successRatio: requests > 0 ? round(answered / requests, 4) : null, providers };
      const list = this.points.get(chain) ?? [];
      list.push(point);
      while (list.length > 0 && (list[0] as ChainPoint).t < at - this.windowMs) list.shift();
      this.points.set(chain, list);
      added.set(chain, point);
    }
    return added;
  }

  /** Points of a chain, oldest first. */
  of(chain: string): readonly ChainPoint[] {
    return this.points.get(chain) ?? [];
  }
}

function providerPoint(before: ProviderTotals | undefined, now: ProviderTotals): ProviderPoint {
  const errors: Record<string, number> = {};
  for (const [result, count] of now.byResult) {
    if (NOT_ERRORS.has(result)) continue;
    const delta = count - (before?.byResult.get(result) ?? 0);
    if (delta > 0) errors[result] = delta;
  }
  const p50 = quantileBetween(before?.latencyBuckets, now.latencyBuckets, 0.5);
  const p99 = quantileBetween(before?.latencyBuckets, now.latencyBuckets, 0.99);
  return {
    attempts: now.attempts - (before?.attempts ?? 0),
    errors,
    p50: p50 === undefined ? null : round(p50, 2),
    p99: p99 === undefined ? null : round(p99, 2),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
