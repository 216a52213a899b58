/** An attempt as the deadline watcher sees it. */
export interface WatchedAttempt {
  /** performance.now() when the attempt was sent. */
  readonly startedAt: number;
  /** Hard limit: the attempt expires this long after startedAt, whatever else happens. */
  readonly timeoutMs: number;
  /** Shorter limit on the wait for response headers; undefined when none applies. */
  readonly firstByteTimeoutMs: number | undefined;
  /** Response headers arrived (the first-byte limit no longer applies). */
  readonly answered: boolean;
  /** Ends the attempt as timed out after `afterMs`; a no-op once it has settled. */
  expire(afterMs: number): void;
}

/** What watch() hands back: unwatch() takes it once the attempt has settled. */
export interface AttemptWatch {
  readonly attempt: WatchedAttempt;
}

/** A watched attempt and its place in the watcher's list (-1 once unwatched). */
class Watch implements AttemptWatch {
  constructor(
    readonly attempt: WatchedAttempt,
    public slot: number,
  ) {}
}

export interface DeadlineWatcherOptions {
  /** How often deadlines are checked while attempts are in flight: the timeouts' granularity. @default 10 */
  tickMs?: number;
  /** A tick this much late means Lasso's own loop stalled (see DeadlineWatcher). @default 20 */
  latenessToleranceMs?: number;
  /** When any attempt to the same upstream last received response headers (performance.now()). */
  lastAnswerAt: () => number;
}

/**
 * Attempt timeouts for one upstream, checked by one interval timer instead of a timer per attempt
 * (attempt timeouts are all different, and Node keeps a timer list per distinct duration).
 *
 * A due attempt is expired one event-loop turn later (setImmediate): timers run before I/O polling,
 * so after a stalled loop an answer already in the socket is read first. The first-byte limit
 * judges only an upstream that looks hung: the attempt has no headers yet AND no other attempt to
 * this upstream got an answer within the same span. Answers still flowing mean the wait is
 * queueing (ours or the provider's), not a hang: then it waits on, up to the hard timeout. A late
 * tick means Lasso's own loop stalled: first-byte limits are judged again only once a whole limit
 * has passed since, so Lasso's stall is never blamed on the upstream.
 *
 * Attempts in flight are an array with swap-remove, not a Set: with a Set taking and dropping an
 * entry per request, every young-generation GC under load copied and promoted about 1.5 MB of
 * request objects (50 kB with the array), which cost about a tenth of Lasso's CPU per request.
 */
export class DeadlineWatcher {
  private readonly watches: Watch[] = [];
  private readonly tickMs: number;
  private readonly latenessToleranceMs: number;
  private readonly lastAnswerAt: () => number;
  private interval: NodeJS.Timeout | undefined;
  private lastTickAt = 0;
  /** When a tick last ran late (Lasso's loop stalled). */
  private lastStallAt = -Infinity;

  constructor(options: DeadlineWatcherOptions) {
    this.tickMs = options.tickMs ?? 10;
    this.latenessToleranceMs = options.latenessToleranceMs ?? 20;
    this.lastAnswerAt = options.lastAnswerAt;
  }

  /** Attempts being watched (the interval timer runs only while this is above 0, and one tick after). */
  get watching(): number {
    return this.watches.length;
  }

  watch(attempt: WatchedAttempt): AttemptWatch {
    const watch = new Watch(attempt, this.watches.length);
    this.watches.push(watch);
    if (this.interval === undefined) {
      this.lastTickAt = performance.now();
      this.interval = setInterval(() => this.tick(), this.tickMs).unref();
    }
    return watch;
  }

  /**
   * The interval timer stops at its next tick once nothing is watched, not here: under light
   * load, every attempt would otherwise start and stop a timer of its own.
   */
  unwatch(handle: AttemptWatch): void {
    const watch = handle as Watch;
    const { slot } = watch;
    if (slot < 0) return;
    watch.slot = -1;
    const last = this.watches.pop() as Watch;
    if (last !== watch) {
      this.watches[slot] = last;
      last.slot = slot;
    }
  }

  stop(): void {
    clearInterval(this.interval);
    this.interval = undefined;
  }

  private tick(): void {
    if (this.watches.length === 0) return this.stop();
    const now = performance.now();
    if (now - this.lastTickAt - this.tickMs > this.latenessToleranceMs) this.lastStallAt = now;
    this.lastTickAt = now;
    let due: Watch[] | undefined;
    for (const watch of this.watches) {
      const { attempt } = watch;
      const elapsed = now - attempt.startedAt;
      const firstByteMs = attempt.firstByteTimeoutMs;
      // Silence is only judged over a span in which Lasso's own loop ran on time.
      const firstByteDue = firstByteMs !== undefined && !attempt.answered && elapsed >= firstByteMs && now - this.lastStallAt >= firstByteMs;
      if (elapsed >= attempt.timeoutMs || firstByteDue) (due ??= []).push(watch);
    }
    if (due !== undefined) setImmediate(() => this.expire(due));
  }

  private expire(due: Watch[]): void {
    const now = performance.now();
    for (const { attempt, slot } of due) {
      if (slot < 0) continue; // settled meanwhile
      if (now - attempt.startedAt >= attempt.timeoutMs) {
        attempt.expire(attempt.timeoutMs);
        continue;
      }
      const firstByteMs = attempt.firstByteTimeoutMs as number;
      if (!attempt.answered && now - this.lastAnswerAt() >= firstByteMs) attempt.expire(firstByteMs);
    }
  }
}
