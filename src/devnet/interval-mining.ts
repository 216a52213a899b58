/**
 * Interval mining: calls `mine` every `blockTimeMs`, measured start to start; a slow block delays
 * the next, never overlaps it.
 */
export class IntervalMining {
  private token: object | undefined;
  private timer: NodeJS.Timeout | undefined;
  private interval: number | undefined;

  constructor(
    private readonly mine: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Block time, or undefined when it is off. */
  get intervalMs(): number | undefined {
    return this.interval;
  }

  start(blockTimeMs: number): void {
    if (!(blockTimeMs > 0)) throw new RangeError(`blockTimeMs must be positive, got ${blockTimeMs}`);
    this.stop();
    const token = {};
    this.token = token;
    this.interval = blockTimeMs;
    const tick = async (): Promise<void> => {
      this.timer = undefined;
      if (this.token !== token) return;
      const startedAt = Date.now();
      try {
        await this.mine();
      } catch (err) {
        this.onError(err);
      }
      if (this.token !== token) return;
      this.timer = setTimeout(() => void tick(), Math.max(0, startedAt + blockTimeMs - Date.now()));
      this.timer.unref();
    };
    this.timer = setTimeout(() => void tick(), blockTimeMs);
    this.timer.unref();
  }

  /** A block being mined right now still completes. */
  stop(): void {
    this.token = undefined;
    this.interval = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
