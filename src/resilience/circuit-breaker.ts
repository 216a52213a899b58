import { backoffMs } from './backoff.js';
import type { BreakerFailureKind } from './classify.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** Short tag from a fixed vocabulary, e.g. `consecutive_timeout`, `recovery_elapsed`, `probe_failed`. */
  reason: string;
}

export interface BreakerOptions {
  /** Consecutive timeouts (no success in between) that open the breaker. @default 2 */
  timeoutThreshold?: number;
  /** Consecutive network failures (refused, reset...) that open the breaker. @default 3 */
  networkThreshold?: number;
  /** Consecutive other provider failures (5xx, -32603, garbage) that open the breaker. @default 5 */
  otherThreshold?: number;
  /** Wait before the first half-open probe after opening. @default 10_000 */
  recoveryMs?: number;
  /** Cap of the recovery wait, which doubles on each reopen without a close in between. @default 300_000 */
  maxRecoveryMs?: number;
  /** Consecutive half-open probe successes needed to close. @default 2 */
  successesToClose?: number;
  /**
   * Relative jitter applied to each recovery wait (after the cap), so channels opened together do
   * not probe together. 0.2 means ±20%. @default 0.2
   */
  jitterRatio?: number;
  /**
   * A half-open probe whose permit was never settled after this long no longer blocks the next
   * probe (its late result is ignored). Guards against a lost permit wedging the channel in
   * half-open forever. @default 60_000
   */
  probeTimeoutMs?: number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
  /** Random source in [0, 1), for jitter. @default Math.random */
  random?: () => number;
  /** Called synchronously after every state change (state is already updated). */
  onTransition?: (t: BreakerTransition) => void;
}

/** Defaults of the tunable options (the config schema reuses them). */
export const BREAKER_DEFAULTS = {
  timeoutThreshold: 2,
  networkThreshold: 3,
  otherThreshold: 5,
  recoveryMs: 10_000,
  maxRecoveryMs: 300_000,
  successesToClose: 2,
  jitterRatio: 0.2,
  probeTimeoutMs: 60_000,
} as const satisfies BreakerOptions;

/**
 * Admission ticket for one attempt. Settle it with exactly one of `recordSuccess`,
 * `recordFailure` or `release`; settling twice is ignored.
 */
export class BreakerPermit {
  #settled = false;

  constructor(
    readonly id: number,
    /** Breaker generation (bumped on every transition) the permit was issued in. */
    readonly generation: number,
    /** True for the single half-open probe. */
    readonly probe: boolean,
    readonly issuedAt: number,
  ) {}

  /** Marks the permit settled; false when it already was. */
  settleOnce(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    return true;
  }
}

/** Plain-data view of the whole state, for tests and debugging. */
export interface BreakerSnapshot {
  state: BreakerState;
  /** Failures per kind since the last success (only meaningful while closed). */
  consecutiveFailures: Record<BreakerFailureKind, number>;
  openedAt: number | undefined;
  nextProbeAt: number | undefined;
  /** Recovery wait (jittered) chosen when the breaker last opened. */
  recoveryMs: number | undefined;
  /** Opens since the breaker was last closed (the backoff exponent). */
  consecutiveOpens: number;
  halfOpenSuccesses: number;
  probeInFlight: boolean;
  /** Times the breaker opened over its lifetime. */
  totalOpens: number;
  lastTransition: (BreakerTransition & { at: number }) | undefined;
}

const KINDS: readonly BreakerFailureKind[] = ['timeout', 'network', 'other'];

/**
 * Circuit breaker of one channel.
 *
 * closed → open after N consecutive failures of one kind (counters per kind, all reset by a
 * success); open → half_open once the recovery wait elapsed (computed lazily from the clock when
 * `state` or `tryAcquire` is read: no timers); half_open admits one probe at a time,
 * `successesToClose` probe successes close it (and reset the backoff), any probe failure reopens
 * it with a doubled wait.
 *
 * Permits remember the generation they were issued in; results of permits from an earlier
 * generation are ignored, so a burst of in-flight requests failing after the breaker already
 * opened neither reopens it nor doubles the backoff.
 */
export class CircuitBreaker {
  readonly #thresholds: Record<BreakerFailureKind, number>;
  readonly #recoveryMs: number;
  readonly #maxRecoveryMs: number;
  readonly #successesToClose: number;
  readonly #jitterRatio: number;
  readonly #probeTimeoutMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onTransition: ((t: BreakerTransition) => void) | undefined;

  #state: BreakerState = 'closed';
  #generation = 0;
  #nextPermitId = 1;
  readonly #failures: Record<BreakerFailureKind, number> = { timeout: 0, network: 0, other: 0 };
  #consecutiveOpens = 0;
  #totalOpens = 0;
  #openedAt: number | undefined;
  #nextProbeAt: number | undefined;
  #currentRecoveryMs: number | undefined;
  #probe: BreakerPermit | undefined;
  #halfOpenSuccesses = 0;
  #lastTransition: (BreakerTransition & { at: number }) | undefined;
  #recoveredAt: number | undefined;

  constructor(options: BreakerOptions = {}) {
    const d = BREAKER_DEFAULTS;
    this.#thresholds = {
      timeout: positiveInt(options.timeoutThreshold ?? d.timeoutThreshold, 'timeoutThreshold'),
      network: positiveInt(options.networkThreshold ?? d.networkThreshold, 'networkThreshold'),
      other: positiveInt(options.otherThreshold ?? d.otherThreshold, 'otherThreshold'),
    };
    this.#recoveryMs = nonNegative(options.recoveryMs ?? d.recoveryMs, 'recoveryMs');
    this.#maxRecoveryMs = Math.max(this.#recoveryMs, nonNegative(options.maxRecoveryMs ?? d.maxRecoveryMs, 'maxRecoveryMs'));
    this.#successesToClose = positiveInt(options.successesToClose ?? d.successesToClose, 'successesToClose');
    this.#jitterRatio = options.jitterRatio ?? d.jitterRatio;
    if (!(this.#jitterRatio >= 0 && this.#jitterRatio < 1)) throw new RangeError('jitterRatio must be in [0, 1)');
    this.#probeTimeoutMs = nonNegative(options.probeTimeoutMs ?? d.probeTimeoutMs, 'probeTimeoutMs');
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onTransition = options.onTransition;
  }

  /** Current state; reading it may move open → half_open (and fire onTransition). */
  get state(): BreakerState {
    this.#refresh();
    return this.#state;
  }

  /** When the breaker last opened; undefined while closed. */
  get openedAt(): number | undefined {
    this.#refresh();
    return this.#state === 'closed' ? undefined : this.#openedAt;
  }

  /** When an open breaker will admit its first probe; undefined unless open. */
  get nextProbeAt(): number | undefined {
    this.#refresh();
    return this.#state === 'open' ? this.#nextProbeAt : undefined;
  }

  /** When the breaker last closed after its half-open probes succeeded; undefined if it never did. */
  get recoveredAt(): number | undefined {
    return this.#recoveredAt;
  }

  /** Asks to send an attempt. Returns a permit, or null when not admitted (open, or half-open probe busy). */
  tryAcquire(): BreakerPermit | null {
    this.#refresh();
    const now = this.#now();
    switch (this.#state) {
      case 'open':
        return null;
      case 'closed':
        return this.#issue(false, now);
      case 'half_open': {
        if (this.#probe !== undefined && now - this.#probe.issuedAt < this.#probeTimeoutMs) return null;
        const probe = this.#issue(true, now);
        this.#probe = probe;
        return probe;
      }
    }
  }

  /**
   * A permit for a request that every provider's breaker would refuse: the open period is cut short
   * (half-open now, this attempt its probe) rather than fail the request untried. While that probe
   * is in flight further attempts go too, counting neither way.
   */
  acquireLastResort(): BreakerPermit {
    this.#refresh();
    if (this.#state === 'open') {
      this.#probe = undefined;
      this.#halfOpenSuccesses = 0;
      this.#transition('half_open', 'last_resort');
    }
    return this.tryAcquire() ?? this.#issue(false, this.#now());
  }

  /** The attempt succeeded (or got a correct deterministic answer). */
  recordSuccess(permit: BreakerPermit): void {
    if (!this.#settle(permit)) return;
    if (this.#state === 'closed') {
      this.#resetFailures();
    } else if (this.#state === 'half_open' && this.#probe?.id === permit.id) {
      this.#probe = undefined;
      this.#halfOpenSuccesses++;
      if (this.#halfOpenSuccesses >= this.#successesToClose) this.#close('probes_succeeded');
    }
  }

  /** The attempt failed in a way that counts against the channel (class provider_failure). */
  recordFailure(permit: BreakerPermit, kind: BreakerFailureKind): void {
    if (!this.#settle(permit)) return;
    if (this.#state === 'closed') {
      this.#failures[kind]++;
      if (this.#failures[kind] >= this.#thresholds[kind]) this.#open(`consecutive_${kind}`);
    } else if (this.#state === 'half_open' && this.#probe?.id === permit.id) {
      this.#open(`probe_failed_${kind}`);
    }
  }

  /**
   * Neutral settlement (rate limit, capability gap, cancelled attempt): frees a half-open probe
   * slot without counting either way.
   */
  release(permit: BreakerPermit): void {
    if (!this.#settle(permit)) return;
    if (this.#state === 'half_open' && this.#probe?.id === permit.id) this.#probe = undefined;
  }

  /**
   * Opens the breaker now, whatever the counters say (e.g. the upstream WebSocket dropped).
   * Already open: no change, so repeated signals do not stack up the backoff.
   */
  forceOpen(reason: string): void {
    this.#refresh();
    if (this.#state !== 'open') this.#open(`forced_${reason}`);
  }

  snapshot(): BreakerSnapshot {
    this.#refresh();
    return {
      state: this.#state,
      consecutiveFailures: { ...this.#failures },
      openedAt: this.#state === 'closed' ? undefined : this.#openedAt,
      nextProbeAt: this.#state === 'open' ? this.#nextProbeAt : undefined,
      recoveryMs: this.#state === 'closed' ? undefined : this.#currentRecoveryMs,
      consecutiveOpens: this.#consecutiveOpens,
      halfOpenSuccesses: this.#halfOpenSuccesses,
      probeInFlight: this.#probe !== undefined,
      totalOpens: this.#totalOpens,
      lastTransition: this.#lastTransition === undefined ? undefined : { ...this.#lastTransition },
    };
  }

  #issue(probe: boolean, now: number): BreakerPermit {
    return new BreakerPermit(this.#nextPermitId++, this.#generation, probe, now);
  }

  /**
   * Marks the permit settled and says whether its result may change state: false for a second
   * settlement or a permit from an earlier generation (stale). Refreshes first so a probe result
   * arriving after the clock moved on is judged against the current state.
   */
  #settle(permit: BreakerPermit): boolean {
    if (!permit.settleOnce()) return false;
    this.#refresh();
    return permit.generation === this.#generation;
  }

  #refresh(): void {
    if (this.#state === 'open' && this.#nextProbeAt !== undefined && this.#now() >= this.#nextProbeAt) {
      this.#probe = undefined;
      this.#halfOpenSuccesses = 0;
      this.#transition('half_open', 'recovery_elapsed');
    }
  }

  #open(reason: string): void {
    const now = this.#now();
    this.#consecutiveOpens++;
    this.#totalOpens++;
    this.#currentRecoveryMs = backoffMs(this.#consecutiveOpens - 1, {
      baseMs: this.#recoveryMs,
      maxMs: this.#maxRecoveryMs,
      jitterRatio: this.#jitterRatio,
      random: this.#random,
    });
    this.#openedAt = now;
    this.#nextProbeAt = now + this.#currentRecoveryMs;
    this.#probe = undefined;
    this.#halfOpenSuccesses = 0;
    this.#resetFailures();
    this.#transition('open', reason);
  }

  #close(reason: string): void {
    this.#consecutiveOpens = 0;
    this.#openedAt = undefined;
    this.#nextProbeAt = undefined;
    this.#currentRecoveryMs = undefined;
    this.#probe = undefined;
    this.#halfOpenSuccesses = 0;
    this.#resetFailures();
    this.#recoveredAt = this.#now();
    this.#transition('closed', reason);
  }

  #resetFailures(): void {
    for (const k of KINDS) this.#failures[k] = 0;
  }

  #transition(to: BreakerState, reason: string): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#lastTransition = { from, to, reason, at: this.#now() };
    this.#onTransition?.({ from, to, reason });
  }
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1`);
  return v;
}

function nonNegative(v: number, name: string): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${name} must be a finite number >= 0`);
  return v;
}
