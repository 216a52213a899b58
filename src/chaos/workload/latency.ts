import { build } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** Latency percentiles in milliseconds (µs resolution, 3 significant digits). */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** Highest trackable latency: one hour, in microseconds (a request that takes longer is a bug). */
const HIGHEST_US = 3_600_000_000;

/**
 * An HDR histogram of latencies. Values are kept in microseconds so that sub-millisecond proxy
 * latencies stay distinguishable; the API speaks milliseconds.
 */
export class LatencyHistogram {
  private readonly h: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });

  record(ms: number): void {
    const us = Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000)));
    this.h.recordValue(us);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Value at percentile `p` (0..100), in ms; 0 when empty. */
  percentile(p: number): number {
    return this.h.totalCount === 0 ? 0 : round(this.h.getValueAtPercentile(p) / 1000);
  }

  summary(): LatencySummary {
    if (this.h.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: this.h.totalCount,
      mean: round(this.h.mean / 1000),
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: round(this.h.maxValue / 1000),
    };
  }

  reset(): void {
    this.h.reset();
  }

  /** Frees the histogram's buffers (only needed for the WebAssembly variant; harmless here). */
  destroy(): void {
    this.h.destroy();
  }
}

/** HDR summary of a list of latencies in ms. */
export function summarizeLatencies(values: Iterable<number>): LatencySummary {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  const summary = h.summary();
  h.destroy();
  return summary;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
