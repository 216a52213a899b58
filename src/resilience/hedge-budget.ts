/**
 * Token bucket that caps hedges at a fraction of a chain's requests: each request earns
 * `ratio` tokens (up to `burst`), each hedge spends one. A slow period therefore adds at most
 * `ratio` extra load, however many requests are slow.
 */
export class HedgeBudget {
  private tokens: number;

  constructor(
    private readonly ratio: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Called once per routed request. */
  earn(): void {
    this.tokens = Math.min(this.burst, this.tokens + this.ratio);
  }

  /** Takes one hedge token if there is one. */
  trySpend(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
