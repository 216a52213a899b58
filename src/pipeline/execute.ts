import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { methodPolicy } from '../jsonrpc/method-policy.js';
import { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { MethodPolicy } from '../jsonrpc/method-policy.js';
import type { JsonRpcErrorObject } from '../jsonrpc/types.js';
import type { Logger } from '../observability/logger.js';
import type { LoopLagMonitor } from '../observability/loop-lag.js';
import { metricMethodLabel } from '../observability/method-label.js';
import type { LassoMetrics } from '../observability/metrics.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import { coalescingKey } from '../resilience/coalescer.js';
import { logsRangeSize } from '../resilience/index.js';
import type { Classification } from '../resilience/index.js';
import type { StrategyName } from '../routing/index.js';
import { selectCandidates } from '../routing/selection.js';
import type { AttemptOutcome, ResultOutcome } from '../transport/outcome.js';
import { describeOutcome } from '../transport/outcome.js';
import { AttemptRace } from './attempt-race.js';
import type { AttemptResult } from './attempt-race.js';

/** Pause before asking again when no provider gave a block the chain already has (some said null). */
const NULL_RETRY_DELAY_MS = 25;
/**
 * How long to keep asking again when a provider also failed: it may be the one that announced the
 * block, which the others are still importing. Without a failure, one more round is enough.
 */
const NULL_RETRY_PATIENCE_MS = 500;

export interface RouteOptions {
  strategy: StrategyName;
  /** Serve from this provider only (no failover). */
  pinnedProviderId?: string;
  /** Absolute time (ms since epoch) after which no new attempt starts and the request fails. */
  deadline: number;
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
}

const NO_UPSTREAM = { providerId: undefined, attempts: 0, hedged: false } as const;

export interface ExecuteDeps {
  metrics: LassoMetrics;
  logger: Logger;
  /** Event-loop lag: learned short timeouts are not trusted while Lasso's own loop is late. */
  loopLag: LoopLagMonitor;
}

/**
 * One request's life after parsing: method policy, coalescing with identical in-flight reads,
 * then routing to providers. Never throws for upstream problems; the answer is always a JSON-RPC
 * result or error.
 */
export function executeRequest(
  chain: ChainRuntime,
  method: string,
  params: unknown,
  route: RouteOptions,
  transport: 'http' | 'ws',
  deps: ExecuteDeps,
): Promise<RoutedResponse> {
  const policy = methodPolicy(method, { timeoutOverridesMs: chain.config.methodTimeoutsMs, transport });
  if (!policy.forward) return Promise.resolve(lassoAnswer(policy.refusal ?? new RpcError(RpcErrorCode.MethodNotFound, `method ${method} is not supported`)));
  if (method === 'eth_chainId') return Promise.resolve({ ...NO_UPSTREAM, body: { result: ResultBytes.fromValue(`0x${chain.chainId.toString(16)}`) }, outcome: 'success' });
  chain.hedgeBudget.earn();

  const coalescing = chain.config.coalescing;
  if (policy.replaySafe && coalescing.enabled && !coalescing.disabledMethods.includes(method)) {
    const key = coalescingKey(method, params, `${route.strategy}|${route.pinnedProviderId ?? ''}`, chain.chainHead());
    if (key !== undefined) {
      const { promise, joined } = chain.coalescer.run(key, () => routeToProviders(chain, method, params, policy, route, deps));
      if (!joined) return promise;
      deps.metrics.coalesced.inc({ chain: chain.name, method: metricMethodLabel(method) });
      return promise.then((shared) => ({ ...shared, attempts: 0, hedged: false }));
    }
  }
  return routeToProviders(chain, method, params, policy, route, deps);
}

/**
 * Routes to the providers: candidate selection, then the attempt race. When no candidate gave the
 * block and one said null for a block the chain already has (still propagating), asks again after
 * a short pause rather than tell the client the block does not exist; for longer when a candidate
 * failed (see NULL_RETRY_PATIENCE_MS).
 */
async function routeToProviders(
  chain: ChainRuntime,
  method: string,
  params: unknown,
  policy: MethodPolicy,
  route: RouteOptions,
  deps: ExecuteDeps,
): Promise<RoutedResponse> {
  const rangeSize = method === 'eth_getLogs' ? logsRangeSize(params, chain.chainHead()) : undefined;
  const selection = selectCandidates(chain, { method, rangeSize, strategy: route.strategy, pinnedProviderId: route.pinnedProviderId });
  const pinned = route.pinnedProviderId !== undefined;
  const hedging = chain.config.hedging;
  const race = new AttemptRace(
    chain,
    selection.candidates,
    {
      method,
      methodLabel: metricMethodLabel(method),
      params,
      policy,
      deadline: route.deadline,
      maxAttempts: pinned ? 1 : chain.config.maxAttempts,
      hedgeable: !pinned && policy.replaySafe && hedging.enabled && !hedging.disabledMethods.includes(method),
      rangeSize,
    },
    deps,
  );
  const startedAt = chain.now();
  let winner = await race.run();
  for (let round = 0; !winner && race.nullAnswer && !race.finalFailure; round++) {
    const patient = round === 0 || (race.lastFailure !== undefined && chain.now() - startedAt < NULL_RETRY_PATIENCE_MS);
    if (!patient || route.deadline - chain.now() <= NULL_RETRY_DELAY_MS) break;
    await new Promise((resolve) => setTimeout(resolve, NULL_RETRY_DELAY_MS));
    race.allowAnotherRound();
    winner = await race.run();
  }
  const { attempts, hedged } = race;
  if (winner) return { body: { result: (winner.outcome as ResultOutcome).bytes }, providerId: winner.provider.id, attempts, outcome: 'success', hedged };
  if (race.nullAnswer) return { body: { result: (race.nullAnswer.outcome as ResultOutcome).bytes }, providerId: race.nullAnswer.provider.id, attempts, outcome: 'success', hedged };
  if (race.lastFailure) {
    const retryAfterMs = race.onlyRateLimits ? minDefined(race.rateLimitedRetryAfterMs, selection.retryAfterMs) : undefined;
    return { ...(await failureAnswer(race.lastFailure, attempts, retryAfterMs, { chain, method, params, policy, route, logger: deps.logger })), hedged };
  }
  if (selection.retryAfterMs !== undefined && selection.candidates.length === 0) return rateLimitedAnswer(selection.retryAfterMs, 0);
  if (route.deadline - chain.now() <= 0) return lassoAnswer(new RpcError(RpcErrorCode.Timeout, 'request deadline expired before any provider answered'), 'failed');
  const reasons = selection.excluded.map((e) => `${e.provider.id}: ${e.reason}`).join(', ');
  return lassoAnswer(
    new RpcError(RpcErrorCode.NoProviderAvailable, `no provider available for ${method} on ${chain.name}${reasons ? ` (${reasons})` : ''}`),
    'failed',
  );
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

interface FailureContext {
  chain: ChainRuntime;
  method: string;
  params: unknown;
  policy: MethodPolicy;
  route: RouteOptions;
  logger: Logger;
}

async function failureAnswer(last: AttemptResult, attempts: number, rateLimitedRetryAfterMs: number | undefined, ctx: FailureContext): Promise<RoutedResponse> {
  const { outcome, provider } = last;
  const classification = last.classification as Classification;
  // Deterministic and capability errors are the upstream's own answer: pass them through untouched.
  if (outcome.type === 'rpc_error' && (classification.errorClass === 'deterministic' || classification.errorClass === 'capability')) {
    return { body: { error: outcome.error }, providerId: provider.id, attempts, outcome: 'rpc_error', hedged: false };
  }
  if (outcome.type === 'too_large') {
    // The request asked for more than one answer may hold; another provider would send as much.
    const error = new RpcError(
      RpcErrorCode.ServerError,
      `answer larger than limits.maxUpstreamResponseBytes (${outcome.limitBytes} bytes): ask for less (e.g. a narrower eth_getLogs block range) or raise the limit`,
      { limit: 'limits.maxUpstreamResponseBytes', limitBytes: outcome.limitBytes, provider: provider.id },
    );
    return { ...lassoAnswer(error), providerId: provider.id, attempts };
  }
  if (rateLimitedRetryAfterMs !== undefined) return rateLimitedAnswer(rateLimitedRetryAfterMs, attempts);
  const cause = describeOutcome(outcome);
  ctx.logger.warn(
    { chain: ctx.chain.name, method: ctx.method, provider: provider.id, attempts, errorClass: classification.errorClass, cause },
    'request failed: no provider left to try',
  );
  if (!ctx.policy.replaySafe && mayHaveReachedUpstream(outcome)) return unknownWriteAnswer(ctx.method, ctx.params, provider.id, cause, attempts);
  if (outcome.type === 'timeout' && ctx.route.deadline - ctx.chain.now() <= 0) {
    const error = new RpcError(RpcErrorCode.Timeout, `request deadline expired; ${provider.id}: ${cause}`, { provider: provider.id, cause });
    return { ...lassoAnswer(error, 'failed'), attempts };
  }
  const error = new RpcError(RpcErrorCode.ServerError, `upstream request failed after ${attempts} attempt(s); last: ${provider.id}: ${cause}`, {
    provider: provider.id,
    cause,
    errorClass: classification.errorClass,
  });
  return { ...NO_UPSTREAM, body: { error: error.toObject() }, attempts, outcome: 'failed' };
}

/** The request may have been delivered and acted on before the failure showed (as opposed to a refused connect). */
function mayHaveReachedUpstream(outcome: AttemptOutcome): boolean {
  return outcome.type === 'timeout' || (outcome.type === 'network' && !outcome.neverSent);
}

/**
 * A state-changing request whose fate is unknown: it is not retried (it may have been applied),
 * so the client must check for itself. For a raw transaction the hash is known without the
 * provider (keccak of the signed bytes), which is what the client looks it up by.
 */
async function unknownWriteAnswer(method: string, params: unknown, providerId: string, cause: string, attempts: number): Promise<RoutedResponse> {
  // Loaded on first use: this path is rare, and viem's hashing is not worth a slower start.
  const { keccak256 } = await import('viem/utils');
  const rawTx = method === 'eth_sendRawTransaction' && Array.isArray(params) ? params[0] : undefined;
  const error =
    typeof rawTx === 'string' && /^0x([0-9a-fA-F]{2})+$/.test(rawTx)
      ? new RpcError(RpcErrorCode.ServerError, `transaction outcome unknown (${providerId}: ${cause}): it may have been broadcast; look it up by hash`, {
          provider: providerId,
          cause,
          transactionHash: keccak256(rawTx as `0x${string}`),
        })
      : new RpcError(RpcErrorCode.ServerError, `${method} outcome unknown (${providerId}: ${cause}): it may have been applied; check before sending it again`, {
          provider: providerId,
          cause,
        });
  return { ...NO_UPSTREAM, body: { error: error.toObject() }, attempts, outcome: 'failed' };
}

function rateLimitedAnswer(retryAfterMs: number, attempts: number): RoutedResponse {
  const error = new RpcError(RpcErrorCode.RateLimited, `all providers are rate limited; retry in ${Math.ceil(retryAfterMs / 1000)} s`, {
    retryAfterMs,
  });
  return { ...NO_UPSTREAM, body: { error: error.toObject() }, attempts, outcome: 'failed' };
}

function lassoAnswer(error: RpcError, outcome: RequestOutcomeKind = 'rpc_error'): RoutedResponse {
  return { ...NO_UPSTREAM, body: { error: error.toObject() }, outcome };
}
