import type { SubscriptionsConfig } from '../config/schema.js';
import { backoffMs } from '../resilience/backoff.js';
import type { ComponentLogger } from '../observability/component-logger.js';
import type { LassoEvents } from '../observability/events.js';
import type { SubscriptionMetrics } from '../observability/subscription-metrics.js';
import type { ProviderRuntime } from '../providers/provider.js';
import type { BlockId } from './block.js';
import type { ChainReader } from './chain-reader.js';

export type UpstreamSubscribeResult = 'ok' | 'error' | 'timeout' | 'closed';

/** What the streams of one chain share: providers, HTTP reads, settings, metrics, clock. */
export interface StreamContext {
  chain: string;
  providers: readonly ProviderRuntime[];
  /** Known to be more than maxLagBlocks behind the chain view's corroborated head. */
  isLagging(provider: ProviderRuntime): boolean;
  /** The chain view's answer head (never lower than a head already delivered), if known. */
  chainHead(): number | undefined;
  reader: ChainReader;
  config: SubscriptionsConfig;
  metrics: SubscriptionMetrics | undefined;
  /** Announces failovers, gap fills and reorgs; omit in unit tests. */
  events?: LassoEvents;
  logger: ComponentLogger;
  now(): number;
  /** A provider sent this head live: the head tracker learns it before its next HTTP poll. */
  observeHead(provider: ProviderRuntime, number: number): void;
  /** A block is being delivered to clients: the chain head is at least this (requests for it must find it). */
  noteDelivered(block: BlockId): void;
  /** Counts one upstream eth_subscribe (engine stats and metrics). */
  countSubscribe(kind: string, provider: string, result: UpstreamSubscribeResult): void;
}

/** Waits `ms` on a timer that does not hold the process open; callers check whether they were stopped after waking. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
  });
}

/** Retry pause for backfill reads: 25 ms doubling to 1 s. */
export function retryDelayMs(attempt: number): number {
  return backoffMs(attempt, { baseMs: 25, maxMs: 1_000 });
}
