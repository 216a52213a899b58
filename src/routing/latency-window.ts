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
    if (this.filled === 0) return undefined;
    if (this.sorted === undefined || this.addedSinceSort >= this.resortEvery) {
      this.sorted = this.samples.slice(0, this.filled).sort();
      this.addedSinceSort = 0;
    }
    const rank = Math.min(this.sorted.length - 1, Math.max(0, Math.ceil(q * this.sorted.length) - 1));
    return this.sorted[rank];
  }
}
