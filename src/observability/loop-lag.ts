/**
 * Tracks how late this process's event loop runs timers. While the loop is stalled (GC, CPU
 * contention, a burst of work) every latency Lasso measures includes its own delay, so decisions
 * that trust short measured deadlines (adaptive timeouts) must stand down.
 */
export class LoopLagMonitor {
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;
  /** Recent per-tick delays; the max over this window is the lag. */
  private readonly recent: number[] = [];

  constructor(
    private readonly tickMs = 20,
    private readonly windowTicks = 50,
  ) {}

  start(): void {
    if (this.timer) return;
    this.expectedAt = performance.now() + this.tickMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.recent.push(Math.max(0, now - this.expectedAt));
      if (this.recent.length > this.windowTicks) this.recent.shift();
      this.expectedAt = now + this.tickMs;
    }, this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Worst timer delay over the last second (by default), in ms; includes a tick overdue right now. */
  lagMs(): number {
    let max = this.timer ? Math.max(0, performance.now() - this.expectedAt) : 0;
    for (const v of this.recent) if (v > max) max = v;
    return max;
  }
}
