/**
 * Estimates the chain's block time from the arrival times of consecutive live heads (EWMA,
 * clamped), so that "no new head for ~2 block times" means the same on a 250 ms devnet and on a
 * 12 s mainnet.
 */
export class BlockTimeEstimator {
  private estimate: number | undefined;
  private last: { number: number; at: number } | undefined;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    /** Weight of a new sample. */
    private readonly alpha = 0.2,
  ) {
    if (!(minMs > 0 && maxMs >= minMs)) throw new RangeError('need 0 < minMs <= maxMs');
  }

  /** Current estimate in ms; the ceiling until two consecutive heads were seen. */
  get blockTimeMs(): number {
    return this.estimate ?? this.maxMs;
  }

  /** A live head arrived. Only consecutive heights give a sample (gaps and replays do not). */
  observe(number: number, atMs: number): void {
    const last = this.last;
    if (last !== undefined && number === last.number + 1 && atMs >= last.at) {
      const sample = Math.min(this.maxMs, Math.max(this.minMs, atMs - last.at));
      this.estimate = this.estimate === undefined ? sample : this.estimate + this.alpha * (sample - this.estimate);
    }
    if (last === undefined || number > last.number) this.last = { number, at: atMs };
  }

  /** Forget the previous head (after a failover, the next interval is not a block time). */
  resetSequence(): void {
    this.last = undefined;
  }
}
