import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { methodPolicy } from '../jsonrpc/method-policy.js';
import type { JsonRpcErrorObject } from '../jsonrpc/types.js';
import type { LassoMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { ProviderRuntime } from '../providers/provider.js';
import { breakerVerdict, classifyOutcome, logsRangeSize, shouldFailover } from '../resilience/index.js';
import type { BreakerPermit, Classification } from '../resilience/index.js';
import { selectCandidates } from '../routing/selection.js';
import type { StrategyName } from '../routing/index.js';
import type { AttemptOutcome } from '../transport/outcome.js';

export interface RouteOptions {
  strategy: StrategyName;
  /** Serve from this provider only (no failover). */
  pinnedProviderId?: string;
  /** Absolute time (ms since epoch) after which no new attempt starts and the request fails. */
  deadline: number;
}

export type RequestOutcomeKind = 'success' | 'rpc_error' | 'failed';

export interface RoutedResponse {
  body: { result: unknown } | { error: JsonRpcErrorObject };
  /** Provider whose answer the client got; undefined when Lasso answered itself. */
  providerId: string | undefined;
  /** Upstream attempts dispatched for this request. */
  attempts: number;
  /** success: a result; rpc_error: an answer that is an error (upstream deterministic or Lasso's refusal); failed: no provider could answer. */
  outcome: RequestOutcomeKind;
}

export interface ExecuteDeps {
  metrics: LassoMetrics;
  logger: Logger;
}

/**
 * One request's life after parsing: method policy, candidate selection, attempts under one
 * deadline with breaker admission, classification of each result, evidence recording and
 * failover. Never throws for upstream problems; the answer is always a JSON-RPC result or error.
 */
export async function executeRequest(
  chain: ChainRuntime,
  method: string,
  params: unknown,
  route: RouteOptions,
  transport: 'http' | 'ws',
  deps: ExecuteDeps,
): Promise<RoutedResponse> {
  const policy = methodPolicy(method, { timeoutOverridesMs: chain.config.methodTimeoutsMs, transport });
  if (!policy.forward) return lassoAnswer(policy.refusal ?? new RpcError(RpcErrorCode.MethodNotFound, `method ${method} is not supported`));
  if (method === 'eth_chainId') return { body: { result: `0x${chain.chainId.toString(16)}` }, providerId: undefined, attempts: 0, outcome: 'success' };

  const rangeSize = method === 'eth_getLogs' ? logsRangeSize(params, chain.chainHead()) : undefined;
  const selection = selectCandidates(chain, { method, rangeSize, strategy: route.strategy, pinnedProviderId: route.pinnedProviderId });
  const maxAttempts = route.pinnedProviderId === undefined ? chain.config.maxAttempts : 1;

  let attempts = 0;
  let lastFailure: { provider: ProviderRuntime; outcome: AttemptOutcome; classification: Classification } | undefined;
  let rateLimitedRetryAfterMs: number | undefined = selection.retryAfterMs;
  let onlyRateLimits = true;

  for (const provider of selection.candidates) {
    if (attempts >= maxAttempts) break;
    const remainingMs = route.deadline - chain.now();
    if (remainingMs <= 0) break;
    const permit = provider.httpBreaker.tryAcquire();
    if (!permit) continue; // half-open probe already in flight, or opened since selection

    attempts++;
    const startedAt = performance.now();
    provider.inFlight++;
    const outcome = await provider.http.send({ method, params, timeoutMs: Math.min(policy.timeoutMs, remainingMs) });
    provider.inFlight--;
    const latencyMs = performance.now() - startedAt;
    const labels = { chain: chain.name, provider: provider.id, method };
    deps.metrics.upstreamDuration.observe(labels, latencyMs / 1000);

    const classification = classifyOutcome(outcome, method);
    if (classification === null) {
      provider.httpBreaker.recordSuccess(permit);
      chain.evidence.recordSuccess(provider.id, method, latencyMs);
      deps.metrics.attempts.inc({ ...labels, transport: 'http', result: 'success' });
      return { body: { result: (outcome as { result: unknown }).result }, providerId: provider.id, attempts, outcome: 'success' };
    }
    deps.metrics.attempts.inc({ ...labels, transport: 'http', result: classification.cancelled ? 'cancelled' : classification.errorClass });
    recordFailureEvidence(chain, provider, permit, method, classification, rangeSize, deps);
    lastFailure = { provider, outcome, classification };

    if (classification.errorClass === 'rate_limit') {
      const cooldownMs = provider.cooldown.remainingMs();
      rateLimitedRetryAfterMs = rateLimitedRetryAfterMs === undefined ? cooldownMs : Math.min(rateLimitedRetryAfterMs, cooldownMs);
    } else {
      onlyRateLimits = false;
    }

    if (!shouldFailover(classification, policy.replaySafe, outcome)) break;
    deps.metrics.failovers.inc({ chain: chain.name, method, from_provider: provider.id, reason: classification.errorClass });
    deps.logger.info(
      { chain: chain.name, method, provider: provider.id, errorClass: classification.errorClass, reason: classification.reason },
      'failover',
    );
  }

  if (lastFailure) return failureAnswer(lastFailure, attempts, onlyRateLimits ? rateLimitedRetryAfterMs : undefined, route, chain);
  if (selection.retryAfterMs !== undefined && selection.candidates.length === 0) return rateLimitedAnswer(selection.retryAfterMs, 0);
  if (route.pinnedProviderId !== undefined && selection.candidates.length === 0) {
    return lassoAnswer(new RpcError(RpcErrorCode.InvalidParams, `unknown provider ${route.pinnedProviderId} on chain ${chain.name}`));
  }
  if (route.deadline - chain.now() <= 0) return lassoAnswer(new RpcError(RpcErrorCode.Timeout, 'request deadline expired before any provider answered'), 'failed');
  const reasons = selection.excluded.map((e) => `${e.provider.id}: ${e.reason}`).join(', ');
  return lassoAnswer(
    new RpcError(RpcErrorCode.NoProviderAvailable, `no provider available for ${method} on ${chain.name}${reasons ? ` (${reasons})` : ''}`),
    'failed',
  );
}

function recordFailureEvidence(
  chain: ChainRuntime,
  provider: ProviderRuntime,
  permit: BreakerPermit,
  method: string,
  classification: Classification,
  rangeSize: number | undefined,
  deps: ExecuteDeps,
): void {
  const verdict = breakerVerdict(classification);
  if (verdict === 'failure') provider.httpBreaker.recordFailure(permit, classification.breakerKind ?? 'other');
  else if (verdict === 'success') provider.httpBreaker.recordSuccess(permit); // answered correctly; the request was at fault
  else provider.httpBreaker.release(permit);

  if (classification.errorClass === 'provider_failure') chain.evidence.recordFailure(provider.id, method);
  if (classification.errorClass === 'rate_limit') {
    provider.cooldown.coolDown(classification.retryAfterMs);
    deps.metrics.rateLimited.inc({ chain: chain.name, provider: provider.id });
  }
  if (classification.errorClass === 'capability') chain.capabilities.record(provider.id, method, classification, { rangeSize });
}

function failureAnswer(
  last: { provider: ProviderRuntime; outcome: AttemptOutcome; classification: Classification },
  attempts: number,
  rateLimitedRetryAfterMs: number | undefined,
  route: RouteOptions,
  chain: ChainRuntime,
): RoutedResponse {
  const { outcome, classification, provider } = last;
  // Deterministic and capability errors are the upstream's own answer: pass them through untouched.
  if (outcome.type === 'rpc_error' && (classification.errorClass === 'deterministic' || classification.errorClass === 'capability')) {
    return { body: { error: outcome.error }, providerId: provider.id, attempts, outcome: 'rpc_error' };
  }
  if (rateLimitedRetryAfterMs !== undefined) return rateLimitedAnswer(rateLimitedRetryAfterMs, attempts);
  if (outcome.type === 'timeout' && route.deadline - chain.now() <= 0) {
    return { ...lassoAnswer(new RpcError(RpcErrorCode.Timeout, 'request deadline expired'), 'failed'), attempts };
  }
  const error = new RpcError(RpcErrorCode.ServerError, `upstream request failed after ${attempts} attempt(s): ${classification.reason}`, {
    lastProvider: provider.id,
    errorClass: classification.errorClass,
  });
  return { body: { error: error.toObject() }, providerId: undefined, attempts, outcome: 'failed' };
}

function rateLimitedAnswer(retryAfterMs: number, attempts: number): RoutedResponse {
  const error = new RpcError(RpcErrorCode.RateLimited, `all providers are rate limited; retry in ${Math.ceil(retryAfterMs / 1000)} s`, {
    retryAfterMs,
  });
  return { body: { error: error.toObject() }, providerId: undefined, attempts, outcome: 'failed' };
}

function lassoAnswer(error: RpcError, outcome: RequestOutcomeKind = 'rpc_error'): RoutedResponse {
  return { body: { error: error.toObject() }, providerId: undefined, attempts: 0, outcome };
}
