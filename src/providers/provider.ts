import { redactUrl } from '../config/redact.js';
import type { ProviderConfig } from '../config/index.js';
import { CircuitBreaker } from '../resilience/index.js';
import type { BreakerOptions, BreakerState } from '../resilience/index.js';
import { Cooldown } from '../resilience/index.js';
import { HttpUpstream } from '../transport/http-upstream.js';
import type { HttpUpstreamOptions } from '../transport/http-upstream.js';
import { WsUpstream } from '../transport/ws-upstream.js';
import type { ComponentLogger } from '../observability/component-logger.js';
import type { WsUpstreamOptions } from '../transport/ws-upstream.js';

export type ChannelTransport = 'http' | 'ws';

export interface ProviderHead {
  /** Latest block number this provider reported; undefined until the first successful poll. */
  number: number | undefined;
  /** When `number` was last refreshed (ms since epoch). */
  updatedAt: number | undefined;
  /** Why the last head poll failed, if it did (never contains the URL). */
  lastError: string | undefined;
  /** When head polls answered again after failing: failures before it belong to an outage that is over. */
  reachableSince?: number | undefined;
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
  /**
   * Upstream WebSocket channel, when the provider has a `wsUrl`. Not connected until first used
   * (by the subscription engine); from then on it reconnects by itself.
   */
  readonly ws: WsUpstream | undefined;
  /** Breaker of the ws channel (fed by WsUpstream: connects, request timeouts, pongs, drops). */
  readonly wsBreaker: CircuitBreaker;
  readonly cooldown: Cooldown;
  readonly head: ProviderHead = { number: undefined, updatedAt: undefined, lastError: undefined };
  inFlight = 0;

  constructor(
    readonly config: ProviderConfig,
    breakerOptions: BreakerOptions,
    onBreakerTransition: (transport: ChannelTransport, from: BreakerState, to: BreakerState, reason: string) => void,
    now: () => number,
    wsOptions: ProviderWsOptions = {},
    httpOptions: Pick<HttpUpstreamOptions, 'maxResponseBytes'> = {},
  ) {
    this.id = config.id;
    this.priority = config.priority;
    this.archive = config.archive;
    this.displayUrl = redactUrl(config.url);
    this.http = new HttpUpstream({ url: config.url, connections: config.maxConcurrent, ...httpOptions });
    this.httpBreaker = new CircuitBreaker({
      ...breakerOptions,
      now,
      onTransition: (t) => onBreakerTransition('http', t.from, t.to, t.reason),
    });
    this.cooldown = new Cooldown({ now });
    this.wsBreaker = new CircuitBreaker({
      ...breakerOptions,
      now,
      ...(wsOptions.random && { random: wsOptions.random }),
      onTransition: (t) => onBreakerTransition('ws', t.from, t.to, t.reason),
    });
    this.ws =
      config.wsUrl === undefined
        ? undefined
        : new WsUpstream({
            ...wsOptions.upstream,
            url: config.wsUrl,
            name: config.id,
            now,
            breaker: this.wsBreaker,
            ...(wsOptions.random && { random: wsOptions.random }),
            ...(wsOptions.logger && { logger: wsOptions.logger }),
          });
  }

  async close(): Promise<void> {
    await this.ws?.close();
    await this.http.close();
  }
}

/** Settings of a provider's upstream WebSocket channel. */
export interface ProviderWsOptions {
  /** Connection settings (timeouts, heartbeats, reconnect backoff). */
  upstream?: Omit<WsUpstreamOptions, 'url' | 'name' | 'now' | 'breaker' | 'random' | 'logger'>;
  /** Random source for reconnect and breaker jitter. @default Math.random */
  random?: () => number;
  logger?: ComponentLogger;
}
