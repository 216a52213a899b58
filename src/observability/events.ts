import type { BreakerState } from '../resilience/circuit-breaker.js';
import type { ErrorClass } from '../resilience/classify.js';

/** A channel's breaker changed state. */
export interface BreakerEvent {
  type: 'breaker';
  chain: string;
  provider: string;
  transport: 'http' | 'ws';
  from: BreakerState;
  to: BreakerState;
  /** Short tag, e.g. `consecutive_timeout`, `recovery_elapsed`, `probe_failed`. */
  reason: string;
}

/** A request moved on from a failed attempt to another provider. */
export interface FailoverEvent {
  type: 'failover';
  chain: string;
  /** The provider whose attempt failed. */
  provider: string;
  /** Metric label of the method (bounded: unknown names are folded). */
  method: string;
  errorClass: ErrorClass;
  reason: string;
}

/** A rate-limit answer started or extended a provider's cooldown. */
export interface CooldownEvent {
  type: 'cooldown';
  chain: string;
  provider: string;
  /** End of the cooldown (ms since epoch). */
  until: number;
}

/** The chain's canonical sequence changed below its tip. */
export interface ReorgEvent {
  type: 'reorg';
  chain: string;
  /** Highest block both branches share. */
  forkPoint: number;
  /** Blocks of the old branch that were dropped. */
  depth: number;
  /** Tip of the new branch, when known. */
  newHead?: number;
  /** The provider that showed the new branch, when known. */
  provider?: string;
}

/** A provider's view of the chain is not believed (far ahead, future timestamps...). */
export interface OutlierEvent {
  type: 'outlier';
  chain: string;
  provider: string;
  reason: string;
  /** false when the provider is believed again. @default true */
  outlier?: boolean;
}

/** A shared upstream subscription left its provider (closed, or stalled while the chain moved on). */
export interface SubscriptionFailoverEvent {
  type: 'subscription_failover';
  chain: string;
  kind: string;
  /** The provider that was left. */
  provider: string;
  reason: string;
}

/** Blocks missed by a subscription (failover, switch, restart) were delivered from HTTP reads. */
export interface GapFillEvent {
  type: 'gap_fill';
  chain: string;
  kind: string;
  from: number;
  to: number;
  blocks: number;
}

/** What the emitting code passes; the bus stamps `at`. */
export type LassoEventInput =
  | BreakerEvent
  | FailoverEvent
  | CooldownEvent
  | ReorgEvent
  | OutlierEvent
  | SubscriptionFailoverEvent
  | GapFillEvent;

export type LassoEventType = LassoEventInput['type'];

/** One event as listeners receive it: `at` is when it was emitted (ms since epoch). */
export type LassoEvent = LassoEventInput & { at: number };

export type LassoEventOf<T extends LassoEventType> = Extract<LassoEventInput, { type: T }> & { at: number };

export interface LassoEventsOptions {
  /** Clock in ms. @default Date.now */
  now?: () => number;
  /** A listener threw: the emitting code (often a request in flight) must not see it. @default ignore */
  onListenerError?: (err: unknown, event: LassoEvent) => void;
}

type Listener = (event: LassoEvent) => void;

/**
 * In-process bus of the things a person watching Lasso wants to see happen (breaker transitions,
 * failovers, cooldowns, reorgs, outliers, subscription failovers and gap fills). Emitters call it
 * inline on paths that serve requests, so emitting without listeners costs one size check, and a
 * listener's exception never reaches the emitter. Listeners run synchronously: keep them cheap.
 */
export class LassoEvents {
  readonly #listeners = new Set<Listener>();
  readonly #now: () => number;
  readonly #onListenerError: (err: unknown, event: LassoEvent) => void;

  constructor(options: LassoEventsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#onListenerError = options.onListenerError ?? (() => undefined);
  }

  emit(input: LassoEventInput): void {
    if (this.#listeners.size === 0) return;
    const event: LassoEvent = { ...input, at: this.#now() };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#onListenerError(err, event);
      }
    }
  }

  /** Listens to every event; returns the unsubscribe function. */
  on(listener: (event: LassoEvent) => void): () => void;
  /** Listens to events of one type; returns the unsubscribe function. */
  on<T extends LassoEventType>(type: T, listener: (event: LassoEventOf<T>) => void): () => void;
  on<T extends LassoEventType>(typeOrListener: T | Listener, maybeListener?: (event: LassoEventOf<T>) => void): () => void {
    let listener: Listener;
    if (typeof typeOrListener === 'function') listener = typeOrListener;
    else {
      const typed = maybeListener as (event: LassoEventOf<T>) => void;
      listener = (event) => {
        if (event.type === typeOrListener) typed(event as LassoEventOf<T>);
      };
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
