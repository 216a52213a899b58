/**
 * The time base of one run: every timestamp in a scenario (scheduled sends, chaos events,
 * breaker transitions, subscription notifications) is milliseconds since the same origin, so
 * they can be put on one time axis.
 */
export interface RunClock {
  /** Milliseconds since the origin (monotonic). */
  now(): number;
  /** `Date.now()` at the origin, to convert wall-clock times (e.g. a block's `minedAtMs`). */
  readonly originWallMs: number;
  /** Converts a wall-clock time (ms since epoch) to run time. */
  fromWall(wallMs: number): number;
}

/** A run clock whose origin can be moved once setup is over. */
export interface SettableRunClock extends RunClock {
  /**
   * Moves the origin to now. Readings taken before keep their values, so setup events (a
   * subscription confirmed before the workload started) come out negative, as they should.
   */
  rebase(): void;
}

/** A clock whose origin is now. */
export function createRunClock(): SettableRunClock {
  let origin = performance.now();
  let originWallMs = Date.now();
  return {
    now: () => performance.now() - origin,
    get originWallMs() {
      return originWallMs;
    },
    fromWall: (wallMs) => wallMs - originWallMs,
    rebase() {
      origin = performance.now();
      originWallMs = Date.now();
    },
  };
}
