/** Typed errors of the subscription engine (never carry provider URLs). */

/** An HTTP read used for backfill or polling failed (no provider answered, or an error answer). */
export class ReadError extends Error {
  constructor(
    readonly method: string,
    message: string,
    /** JSON-RPC error code of the final answer, when there was one. */
    readonly code?: number,
  ) {
    super(`${method}: ${message}`);
    this.name = 'ReadError';
  }
}

/** A gap or fork that backfill could not resolve (too large, too deep, or no provider had the blocks in time). */
export class UnfillableGapError extends Error {
  constructor(
    readonly reason: 'gap_too_large' | 'fork_too_deep' | 'timeout' | 'not_canonical',
    message: string,
  ) {
    super(message);
    this.name = 'UnfillableGapError';
  }
}

/** The stream stopped while waiting (engine closed, or its last client left). */
export class StreamStoppedError extends Error {
  constructor() {
    super('subscription stream stopped');
    this.name = 'StreamStoppedError';
  }
}
