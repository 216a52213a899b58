/**
 * Tracks how late this process's event loop runs timers. While the loop is stalled (GC, CPU
 * contention, a burst of work) every latency Lasso measures includes its own delay, so decisions
 * that trust short measured deadlines (adaptive timeouts) must stand down.
 *
 * It ticks only while someone asks: the first `lagMs()` starts the ticker, and the ticker stops
 * once nobody has asked for a whole window. An idle process is then not woken 50 times a second
 * to measure a lag nobody reads, and a lag read during work covers the last window as before.
 */
export class LoopLagMonitor {
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;
  private lastAskedAt = 0;
  /** Recent per-tick delays; the max over this window is the lag. */
  private readonly recent: number[] = [];

  constructor(
    private readonly tickMs = 20,
    private readonly windowTicks = 50,
  ) {}

  /** Worst timer delay over the last second (by default), in ms; includes a tick overdue right now. */
  lagMs(): number {
    const now = performance.now();
    this.lastAskedAt = now;
    if (this.timer === undefined) {
      this.startTicking(now);
      return 0;
    }
    let max = Math.max(0, now - this.expectedAt);
    for (const v of this.recent) if (v > max) max = v;
    return max;
  }

  /** Stops the ticker (at shutdown); a later `lagMs()` starts it again. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.recent.length = 0;
  }

  private startTicking(now: number): void {
    this.expectedAt = now + this.tickMs;
    this.timer = setInterval(() => {
      const at = performance.now();
      if (at - this.lastAskedAt > this.tickMs * this.windowTicks) return this.stop();
      this.recent.push(Math.max(0, at - this.expectedAt));
      if (this.recent.length > this.windowTicks) this.recent.shift();
      this.expectedAt = at + this.tickMs;
    }, this.tickMs);
    this.timer.unref();
  }
}
