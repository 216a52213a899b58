/**
 * The one Redis connection replicas share state through (rate limits, the highest answered head).
 * Commands never queue while Redis is away: they fail at once, so callers fall back to local state
 * instead of waiting, and `reachable` says which mode Lasso is in for /health and the logs.
 */
import { Redis } from 'ioredis';
import { redactUrl, redactUrlsInText } from '../config/index.js';
import type { Logger } from '../observability/logger.js';

export interface SharedRedisOptions {
  url: string;
  /** Prefix of every key written. */
  keyPrefix: string;
  /**
   * A command not answered within this time fails (and the caller falls back to local state).
   * @default 250
   */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts, in ms. @default 1000 */
  maxReconnectDelayMs?: number;
}

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 250;
export const DEFAULT_REDIS_MAX_RECONNECT_DELAY_MS = 1000;

export class SharedRedis {
  readonly client: Redis;
  readonly keyPrefix: string;
  private wasReachable = false;
  private everReachable = false;
  private readonly listeners = new Set<(reachable: boolean) => void>();

  constructor(
    options: SharedRedisOptions,
    private readonly logger: Logger,
  ) {
    this.keyPrefix = options.keyPrefix;
    const maxDelay = options.maxReconnectDelayMs ?? DEFAULT_REDIS_MAX_RECONNECT_DELAY_MS;
    this.client = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 100, maxDelay),
    });
    const where = redactUrl(options.url);
    this.client.on('ready', () => this.setReachable(true, where));
    this.client.on('close', () => this.setReachable(false, where));
    this.client.on('error', (err: Error) => {
      logger.debug({ redis: where, err: redactUrlsInText(err.message) }, 'redis error');
    });
  }

  get reachable(): boolean {
    return this.client.status === 'ready';
  }

  /** Called with the new state on every change. */
  onChange(listener: (reachable: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once connected, or after `timeoutMs` (then Lasso starts in local mode). */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.reachable) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = this.onChange((reachable) => {
        if (!reachable) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.client.disconnect(false);
  }

  private setReachable(reachable: boolean, where: string): void {
    if (reachable === this.wasReachable) return;
    this.wasReachable = reachable;
    if (reachable) {
      this.logger.info({ redis: where }, this.everReachable ? 'redis reachable again: limits and heads shared' : 'redis connected: limits and heads shared');
      this.everReachable = true;
    } else {
      this.logger.warn({ redis: where }, 'redis unreachable: limits running locally');
    }
    for (const l of [...this.listeners]) l(reachable);
  }
}
