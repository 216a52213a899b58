import { redactUrl } from '../config/redact.js';
import type { ProviderConfig } from '../config/index.js';
import { CircuitBreaker } from '../resilience/index.js';
import type { BreakerOptions, BreakerState } from '../resilience/index.js';
import { Cooldown } from '../resilience/index.js';
import { HttpUpstream } from '../transport/http-upstream.js';

export type ChannelTransport = 'http' | 'ws';

export interface ProviderHead {
  /** Latest block number this provider reported; undefined until the first successful poll. */
  number: number | undefined;
  /** When `number` was last refreshed (ms since epoch). */
  updatedAt: number | undefined;
  /** Why the last head poll failed, if it did (never contains the URL). */
  lastError: string | undefined;
}

/**
 * One upstream provider of one chain with its live state: the HTTP channel (undici pool +
 * breaker), rate-limit cooldown and head. Holds state only; decisions live in routing/ and pipeline/.
 */
export class ProviderRuntime {
  readonly id: string;
  readonly priority: number;
  readonly archive: boolean;
  /** Safe to log and to show in /api/providers. */
  readonly displayUrl: string;
  readonly http: HttpUpstream;
  readonly httpBreaker: CircuitBreaker;
  readonly cooldown: Cooldown;
  readonly head: ProviderHead = { number: undefined, updatedAt: undefined, lastError: undefined };
  inFlight = 0;

  constructor(
    readonly config: ProviderConfig,
    breakerOptions: BreakerOptions,
    onBreakerTransition: (transport: ChannelTransport, from: BreakerState, to: BreakerState, reason: string) => void,
    now: () => number,
  ) {
    this.id = config.id;
    this.priority = config.priority;
    this.archive = config.archive;
    this.displayUrl = redactUrl(config.url);
    this.http = new HttpUpstream({ url: config.url, connections: config.maxConcurrent });
    this.httpBreaker = new CircuitBreaker({
      ...breakerOptions,
      now,
      onTransition: (t) => onBreakerTransition('http', t.from, t.to, t.reason),
    });
    this.cooldown = new Cooldown({ now });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
