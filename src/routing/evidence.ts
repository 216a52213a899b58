import { LatencyWindow } from './latency-window.js';
import type { TailLatency } from './score.js';

export interface EvidenceOptions {
  /**
   * Half-life of latency evidence. Each sample's weight halves every `halfLifeMs`, so after an
   * idle period the next samples dominate instead of averaging with stale ones. @default 30_000
   */
  halfLifeMs?: number;
  /**
   * Cap on the total weight of a latency average (in samples). Without it a busy channel would
   * average 30 s worth of traffic (thousands of samples) and react to a slowdown only after
   * seconds; with it the average behaves like a per-sample EWMA with alpha ≈ 1/cap under load
   * and like a plain time-decayed mean when traffic is light. @default 50
   */
  maxEffectiveSamples?: number;
  /**
   * Samples needed before `latencyMs` reports a value. The first request on a new connection
   * pays TCP/TLS setup, so one sample would make a provider look slow and starve it under the
   * latency-weighted strategy; until then it counts as unmeasured and gets explored. @default 3
   */
  minSamples?: number;
  /** Success-rate window: at most this many most recent attempts... @default 100 */
  windowSize?: number;
  /** ...and only those younger than this. @default 60_000 */
  windowMs?: number;
  /**
   * Bound on methods tracked per provider (method names come from clients); the least recently
   * seen is dropped first. @default 256
   */
  maxMethodsPerProvider?: number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

/** Time-decayed mean with a weight cap (see EvidenceOptions). */
class DecayedMean {
  #sum = 0;
  #weight = 0;
  #lastAt: number | undefined;
  count = 0;

  add(value: number, now: number, halfLifeMs: number, maxWeight: number): void {
    // Samples within the same millisecond (many, under load) decay nothing: no power to compute.
    if (this.#lastAt !== undefined && now !== this.#lastAt && halfLifeMs > 0) {
      const decay = 2 ** (-Math.max(0, now - this.#lastAt) / halfLifeMs);
      this.#sum *= decay;
      this.#weight *= decay;
    }
    this.#sum += value;
    this.#weight += 1;
    if (this.#weight > maxWeight) {
      const k = maxWeight / this.#weight;
      this.#sum *= k;
      this.#weight = maxWeight;
    }
    this.#lastAt = now;
    this.count++;
  }

  /** Decay alone never changes the ratio, so the last known mean survives idle periods. */
  get value(): number | undefined {
    return this.#weight > 0 ? this.#sum / this.#weight : undefined;
  }
}

interface MethodStats {
  latency: DecayedMean;
  recent: LatencyWindow;
  lastSeenAt: number | undefined;
}

interface ProviderStats {
  latency: DecayedMean;
  methods: Map<string, MethodStats>;
  /** Ring buffer of recent attempts: time and outcome. */
  windowAt: number[];
  windowOk: boolean[];
  windowNext: number;
}

/**
 * Routing evidence: latency of successful attempts per (provider, method) and per provider
 * (time-decayed mean, and recent quantiles per method), success rate over a sliding window per provider.
 *
 * Keys are plain ids: pass a channel id (e.g. `${providerId}/ws`) instead of a provider id to
 * keep evidence per channel. What to record is the pipeline's call; the intent is:
 * `recordSuccess` for results (and optionally deterministic answers: the provider did its job),
 * `recordFailure` for provider failures, nothing for cancelled attempts.
 */
export class EvidenceStore {
  readonly #halfLifeMs: number;
  readonly #maxWeight: number;
  readonly #minSamples: number;
  readonly #windowSize: number;
  readonly #windowMs: number;
  readonly #maxMethods: number;
  readonly #now: () => number;
  readonly #providers = new Map<string, ProviderStats>();

  constructor(options: EvidenceOptions = {}) {
    this.#halfLifeMs = Math.max(0, options.halfLifeMs ?? 30_000);
    this.#maxWeight = Math.max(1, options.maxEffectiveSamples ?? 50);
    this.#minSamples = Math.max(1, options.minSamples ?? 3);
    this.#windowSize = Math.max(1, Math.floor(options.windowSize ?? 100));
    this.#windowMs = Math.max(1, options.windowMs ?? 60_000);
    this.#maxMethods = Math.max(1, options.maxMethodsPerProvider ?? 256);
    this.#now = options.now ?? Date.now;
  }

  /** A successful attempt that took `latencyMs`. */
  recordSuccess(providerId: string, method: string, latencyMs: number): void {
    const now = this.#now();
    const p = this.#provider(providerId);
    const m = this.#method(p, method);
    if (Number.isFinite(latencyMs) && latencyMs >= 0) {
      m.latency.add(latencyMs, now, this.#halfLifeMs, this.#maxWeight);
      m.recent.add(latencyMs);
      p.latency.add(latencyMs, now, this.#halfLifeMs, this.#maxWeight);
    }
    m.lastSeenAt = now;
    this.#pushWindow(p, now, true);
  }

  /** A failed attempt (provider failure). Latency is not recorded: timeouts would only measure the timeout. */
  recordFailure(providerId: string, method: string): void {
    const now = this.#now();
    const p = this.#provider(providerId);
    const m = this.#method(p, method);
    m.lastSeenAt = now;
    this.#pushWindow(p, now, false);
  }

  /** Time-decayed mean latency of successful attempts for (provider, method); undefined = unmeasured. */
  latencyMs(providerId: string, method: string): number | undefined {
    const m = this.#providers.get(providerId)?.methods.get(method);
    return m !== undefined && m.latency.count >= this.#minSamples ? m.latency.value : undefined;
  }

  /**
   * Quantile (q in [0, 1]) of the recent successful latencies of (provider, method), once at least
   * `minSamples` are known; undefined before.
   */
  latencyQuantileMs(providerId: string, method: string, q: number, minSamples = this.#minSamples): number | undefined {
    const m = this.#providers.get(providerId)?.methods.get(method);
    return m !== undefined && m.recent.count >= minSamples ? m.recent.quantile(q) : undefined;
  }

  /**
   * Recent p50 / p90 / p99 of successful attempts of (provider, method), once `minSamples` are known
   * and the last attempt is at most `maxAgeMs` old (a window nobody refreshes would vouch for a
   * provider long after it changed); undefined otherwise.
   */
  tailLatency(providerId: string, method: string, maxAgeMs = Infinity): Readonly<TailLatency> | undefined {
    const m = this.#providers.get(providerId)?.methods.get(method);
    if (m === undefined || m.recent.count < this.#minSamples || this.#now() - (m.lastSeenAt ?? -Infinity) > maxAgeMs) return undefined;
    return m.recent.tail();
  }

  /** Time-decayed mean latency across all methods; undefined = unmeasured. */
  providerLatencyMs(providerId: string): number | undefined {
    const p = this.#providers.get(providerId);
    return p !== undefined && p.latency.count >= this.#minSamples ? p.latency.value : undefined;
  }

  /**
   * Successes / attempts over the sliding window, leaving out attempts before `since` (ms, same
   * clock); undefined when nothing is left.
   */
  successRate(providerId: string, since = -Infinity): number | undefined {
    const p = this.#providers.get(providerId);
    if (p === undefined) return undefined;
    const { ok, total } = this.#window(p, since);
    return total === 0 ? undefined : ok / total;
  }

  #provider(providerId: string): ProviderStats {
    let p = this.#providers.get(providerId);
    if (p === undefined) {
      p = {
        latency: new DecayedMean(),
        methods: new Map(),
        windowAt: [],
        windowOk: [],
        windowNext: 0,
      };
      this.#providers.set(providerId, p);
    }
    return p;
  }

  #method(p: ProviderStats, method: string): MethodStats {
    let m = p.methods.get(method);
    if (m === undefined) {
      if (p.methods.size >= this.#maxMethods) this.#evictLeastRecent(p);
      m = { latency: new DecayedMean(), recent: new LatencyWindow(), lastSeenAt: undefined };
      p.methods.set(method, m);
    }
    return m;
  }

  #evictLeastRecent(p: ProviderStats): void {
    let oldest: string | undefined;
    let oldestAt = Infinity;
    for (const [method, m] of p.methods) {
      const at = m.lastSeenAt ?? -Infinity;
      if (at < oldestAt) {
        oldestAt = at;
        oldest = method;
      }
    }
    if (oldest !== undefined) p.methods.delete(oldest);
  }

  #pushWindow(p: ProviderStats, now: number, ok: boolean): void {
    if (p.windowAt.length < this.#windowSize) {
      p.windowAt.push(now);
      p.windowOk.push(ok);
      return;
    }
    p.windowAt[p.windowNext] = now;
    p.windowOk[p.windowNext] = ok;
    p.windowNext = (p.windowNext + 1) % this.#windowSize;
  }

  #window(p: ProviderStats, since: number): { ok: number; total: number } {
    const windowStart = this.#now() - this.#windowMs;
    let ok = 0;
    let total = 0;
    for (let i = 0; i < p.windowAt.length; i++) {
      const at = p.windowAt[i] ?? -Infinity;
      if (at <= windowStart || at < since) continue;
      total++;
      if (p.windowOk[i]) ok++;
    }
    return { ok, total };
  }
}
