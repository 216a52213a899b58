/**
 * Rate limiters from rate-limiter-flexible: in memory, or atomic in Redis when replicas share one
 * (N replicas together then allow what one would). `requestsPerSecond` is a 1 s window; a burst
 * above it is a second limiter of (burst - requestsPerSecond) points per 10 s, consulted only when
 * the first says no, which grants over any 10 s what a token bucket of size `burst` would.
 *
 * While Redis is unreachable the Redis limiters answer from an in-memory insurance limiter (each
 * replica then enforces the whole limit on its own), or refuse, as configured.
 */
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config/index.js';
import type { SharedRedis } from '../shared-state/shared-redis.js';

export type LimitVerdict =
  | { ok: true }
  | { ok: false; reason: 'rate_limited'; retryAfterMs: number }
  /** Redis unreachable and `whenUnreachable: reject`. */
  | { ok: false; reason: 'limiter_unavailable'; retryAfterMs: number };

export interface Limiter {
  consume(subject: string, points: number): Promise<LimitVerdict>;
}

export interface RateLimitStore {
  redis?: SharedRedis;
  /** @default 'local' */
  whenUnreachable?: 'local' | 'reject';
}

const BURST_WINDOW_SECONDS = 10;
const UNAVAILABLE_RETRY_MS = 1000;

/** One limiter per distinct limit (shared by every subject with that limit), built on first use. */
export class RateLimits {
  private readonly limiters = new Map<string, Limiter>();

  constructor(private readonly store: RateLimitStore = {}) {}

  limiter(limit: RateLimitConfig): Limiter {
    const name = `${limit.requestsPerSecond}x${limit.burst}`;
    let limiter = this.limiters.get(name);
    if (!limiter) {
      limiter = this.build(name, limit);
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  private build(name: string, limit: RateLimitConfig): Limiter {
    const steady = this.window(`rl:${name}:`, limit.requestsPerSecond, 1);
    const extra = limit.burst - limit.requestsPerSecond;
    const limiter: Pick<RateLimiterAbstract, 'consume'> =
      extra > 0 ? new BurstyRateLimiter(steady, this.window(`rl:${name}:burst:`, extra, BURST_WINDOW_SECONDS)) : steady;
    return {
      async consume(subject, points) {
        try {
          await limiter.consume(subject, points);
          return { ok: true };
        } catch (rejection) {
          if (rejection instanceof RateLimiterRes) return { ok: false, reason: 'rate_limited', retryAfterMs: rejection.msBeforeNext };
          return { ok: false, reason: 'limiter_unavailable', retryAfterMs: UNAVAILABLE_RETRY_MS };
        }
      },
    };
  }

  private window(keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
    const { redis } = this.store;
    if (!redis) return new RateLimiterMemory({ keyPrefix, points, duration });
    return new RateLimiterRedis({
      storeClient: redis.client,
      keyPrefix: `${redis.keyPrefix}${keyPrefix}`,
      points,
      duration,
      // Fail fast to the insurance limiter instead of waiting for a reconnect.
      rejectIfRedisNotReady: true,
      ...((this.store.whenUnreachable ?? 'local') === 'local' && { insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }) }),
    });
  }
}
