export interface CooldownOptions {
  /** Cooldown when the provider gave no Retry-After hint. @default 30_000 */
  defaultMs?: number;
  /** Floor, so "retry after 0" does not turn into a hammering loop. @default 1_000 */
  minMs?: number;
  /** Cap, so a provider asking for an hour does not vanish for an hour. @default 300_000 */
  maxMs?: number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

/** Plain-data view of the whole state, for tests and debugging. */
export interface CooldownSnapshot {
  coolingDown: boolean;
  /** End of the current cooldown (ms since epoch); undefined when not cooling down. */
  until: number | undefined;
  remainingMs: number;
  /** Rate-limit signals received over the lifetime. */
  totalTriggers: number;
}

/**
 * Rate-limit cooldown of one channel: after a rate limit, the channel is left alone until
 * now + (Retry-After ?? 30 s), clamped to [minMs, maxMs]. State is computed from the clock; no timers.
 */
export class Cooldown {
  readonly #defaultMs: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #now: () => number;
  #until: number | undefined;
  #totalTriggers = 0;

  constructor(options: CooldownOptions = {}) {
    this.#defaultMs = options.defaultMs ?? 30_000;
    this.#minMs = options.minMs ?? 1_000;
    this.#maxMs = Math.max(this.#minMs, options.maxMs ?? 300_000);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts (or extends) the cooldown. Never shortens a running one: concurrent 429s arrive with
   * different hints, and the provider is best served by honouring the longest.
   * @param retryAfterMs the provider's hint; undefined means `defaultMs`.
   * @returns the end of the cooldown (ms since epoch).
   */
  coolDown(retryAfterMs?: number): number {
    const requested = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? retryAfterMs : this.#defaultMs;
    const ms = Math.min(this.#maxMs, Math.max(this.#minMs, requested));
    const until = this.#now() + ms;
    this.#totalTriggers++;
    if (this.#until === undefined || until > this.#until) this.#until = until;
    return this.#until;
  }

  isCoolingDown(): boolean {
    return this.remainingMs() > 0;
  }

  /** Milliseconds left; 0 when not cooling down. */
  remainingMs(): number {
    if (this.#until === undefined) return 0;
    const left = this.#until - this.#now();
    if (left <= 0) {
      this.#until = undefined;
      return 0;
    }
    return left;
  }

  /** End of the current cooldown, or undefined. */
  get until(): number | undefined {
    return this.remainingMs() > 0 ? this.#until : undefined;
  }

  /** Ends the cooldown now (admin action, or the provider proved it is serving again). */
  clear(): void {
    this.#until = undefined;
  }

  snapshot(): CooldownSnapshot {
    const remainingMs = this.remainingMs();
    return { coolingDown: remainingMs > 0, until: remainingMs > 0 ? this.#until : undefined, remainingMs, totalTriggers: this.#totalTriggers };
  }
}
