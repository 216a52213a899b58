import type { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { JsonRpcErrorObject } from '../jsonrpc/types.js';
import type { Logger } from '../observability/logger.js';
import type { LoopLagMonitor } from '../observability/loop-lag.js';
import type { LassoMetrics } from '../observability/metrics.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { Classification } from '../resilience/index.js';
import type { StrategyName } from '../routing/index.js';

export interface ExecuteDeps {
  metrics: LassoMetrics;
  logger: Logger;
  /** Event-loop lag: learned short timeouts are not trusted while Lasso's own loop is late. */
  loopLag: LoopLagMonitor;
  /** Answers the filter methods (eth_newFilter and friends); without it they are refused. */
  filters?: FilterHandler;
}

/** The filter methods, answered by Lasso itself rather than by an upstream (see src/filters/). */
export interface FilterHandler {
  answer(chain: ChainRuntime, method: string, params: unknown, route: RouteOptions): Promise<RoutedResponse>;
}

export interface RouteOptions {
  strategy: StrategyName;
  /** Serve from this provider only (no failover). */
  pinnedProviderId?: string;
  /** Absolute time (ms since epoch) after which no new attempt starts and the request fails. */
  deadline: number;
  /** Who is asking (`key:<id>` or `ip:<address>`): the owner of the filters it creates. */
  client?: string;
  /** The id the client got in `x-lasso-request-id`: in every log line about this request, to find it by. */
  requestId?: string;
  /** false: neither answered from nor kept in the response cache (reads that must see each provider's own answer). @default true */
  useCache?: boolean;
}

export type RequestOutcomeKind = 'success' | 'rpc_error' | 'failed';

export interface RoutedResponse {
  /** A result as bytes (spliced into the client's answer as they are), or an error. */
  body: { result: ResultBytes } | { error: JsonRpcErrorObject };
  /** Provider whose answer the client got; undefined when Lasso answered itself. */
  providerId: string | undefined;
  /** Upstream attempts dispatched for this request. */
  attempts: number;
  /** success: a result; rpc_error: an answer that is an error (upstream deterministic or Lasso's refusal); failed: no provider could answer. */
  outcome: RequestOutcomeKind;
  /** A hedge attempt was sent for this request. */
  hedged: boolean;
  /** How the last failed attempt was classified, when the answer is a failure that came from one. */
  failure?: Classification;
  /** The request was looked up in the response cache: answered from it, or not. Unset when the cache had no say. */
  cache?: 'hit' | 'miss';
}
