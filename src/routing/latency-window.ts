import type { TailLatency } from './score.js';

/**
 * The most recent latency samples of one (provider, method), for quantiles (hedge delays,
 * adaptive timeouts). A fixed ring: old samples fall out on their own, memory is bounded, and the
 * sorted copy is rebuilt only after enough new samples, so reading a quantile is O(1) on the hot path.
 */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  private sorted: Float64Array | undefined;
  private addedSinceSort = 0;
  private tailOfSorted: TailLatency | undefined;

  constructor(
    capacity = 128,
    /** New samples tolerated before the sorted view is rebuilt. */
    private readonly resortEvery = 8,
  ) {
    this.samples = new Float64Array(capacity);
  }

  add(latencyMs: number): void {
    this.samples[this.next] = latencyMs;
    this.next = (this.next + 1) % this.samples.length;
    if (this.filled < this.samples.length) this.filled++;
    this.addedSinceSort++;
  }

  get count(): number {
    return this.filled;
  }

  /** Nearest-rank quantile (q in [0, 1]) of the samples in the window; undefined when empty. */
  quantile(q: number): number | undefined {
    const sorted = this.sortedView();
    if (sorted === undefined) return undefined;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  }

  /**
   * p50, p90 and p99 at once: the same object until the sorted view is rebuilt, since selection
   * reads them for every candidate of every request. Undefined when empty.
   */
  tail(): Readonly<TailLatency> | undefined {
    if (this.sortedView() === undefined) return undefined;
    this.tailOfSorted ??= { p50: this.quantile(0.5) as number, p90: this.quantile(0.9) as number, p99: this.quantile(0.99) as number };
    return this.tailOfSorted;
  }

  private sortedView(): Float64Array | undefined {
    if (this.filled === 0) return undefined;
    if (this.sorted === undefined || this.addedSinceSort >= this.resortEvery) {
      this.sorted = this.samples.slice(0, this.filled).sort();
      this.addedSinceSort = 0;
      this.tailOfSorted = undefined;
    }
    return this.sorted;
  }
}
