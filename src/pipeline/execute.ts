import { cacheOf } from '../cache/index.js';
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { MethodPolicy } from '../jsonrpc/method-policy.js';
import { metricMethodLabel } from '../observability/method-label.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { ProviderRuntime } from '../providers/provider.js';
import { coalescingKey } from '../resilience/coalescer.js';
import { logsRangeSize } from '../resilience/index.js';
import type { Classification } from '../resilience/index.js';
import type { Logger } from '../observability/logger.js';
import type { AttemptOutcome, ResultOutcome } from '../transport/outcome.js';
import { describeOutcome } from '../transport/outcome.js';
import { AttemptRace } from './attempt-race.js';
import type { AttemptResult, RaceVerdict } from './attempt-race.js';
import { resolveBlockTarget, toQuantity } from './block-target.js';
import type { BlockTarget, ResolvedBlock } from './block-target.js';
import { pipelineStateOf } from './chain-state.js';
import { serveLogsOverRange } from './logs-over-range.js';
import type { ChainPipelineState } from './chain-state.js';
import { selectCandidates } from './select-candidates.js';
import type { ExecuteDeps, RequestOutcomeKind, RouteOptions, RoutedResponse } from './types.js';

/** Pause before asking again when no provider gave a block the chain already has (some said null). */
const NULL_RETRY_DELAY_MS = 25;
/**
 * How long to keep asking again when a provider also failed: it may be the one that announced the
 * block, which the others are still importing. Without a failure, one more round is enough.
 */
const NULL_RETRY_PATIENCE_MS = 500;
/** How long eth_blockNumber waits for the chain view's first head at start before asking a provider. */
const FIRST_HEAD_WAIT_MS = 2_000;

const NO_UPSTREAM = { providerId: undefined, attempts: 0, hedged: false } as const;
const UNRESOLVED: BlockTarget = { kind: 'none' };

/**
 * One request's life after parsing: method policy, eth_blockNumber from the chain view, moving
 * block tags fixed to the numbers they mean now, the response cache (keyed by those numbers),
 * coalescing with identical in-flight reads, then routing to providers. Never throws for upstream
 * problems; the answer is always a JSON-RPC result or error.
 */
export function executeRequest(
  chain: ChainRuntime,
  method: string,
  params: unknown,
  route: RouteOptions,
  transport: 'http' | 'ws',
  deps: ExecuteDeps,
): Promise<RoutedResponse> {
  const state = pipelineStateOf(chain);
  const policy = state.policies.of(method, transport, deps.filters !== undefined);
  if (policy.filter && deps.filters) return deps.filters.answer(chain, method, params, route);
  if (!policy.forward) return Promise.resolve(lassoAnswer(policy.refusal ?? new RpcError(RpcErrorCode.MethodNotFound, `method ${method} is not supported`)));
  if (method === 'eth_chainId') return Promise.resolve({ ...NO_UPSTREAM, body: { result: ResultBytes.fromValue(toQuantity(chain.chainId)) }, outcome: 'success' });
  const pinned = route.pinnedProviderId !== undefined;
  if (method === 'eth_blockNumber' && !pinned) return chain.view.withSharedHead(() => answerBlockNumber(chain, state, policy, route, deps));
  // A pinned provider is asked exactly what the client asked: its own view is what they want.
  const resolved: ResolvedBlock = pinned ? { params, target: UNRESOLVED } : resolveBlockTarget(method, params, tagHeights(chain));
  if (resolved.target.kind === 'number' && resolved.target.moving && chain.view.sharesHeads) {
    // Resolved again once the shared head is read: another replica may have answered a newer one.
    return chain.view.withSharedHead(() => serveResolved(chain, state, method, resolveBlockTarget(method, params, tagHeights(chain)), policy, route, deps));
  }
  return serveResolved(chain, state, method, resolved, policy, route, deps);
}

/** A request whose block is known: through the response cache, then coalescing and routing. */
function serveResolved(chain: ChainRuntime, state: ChainPipelineState, method: string, resolved: ResolvedBlock, policy: MethodPolicy, route: RouteOptions, deps: ExecuteDeps): Promise<RoutedResponse> {
  const pinned = route.pinnedProviderId !== undefined;
  const serve = (): Promise<RoutedResponse> => coalesceOrRoute(chain, state, method, resolved, policy, route, deps);
  const cache = pinned || route.useCache === false ? undefined : cacheOf(chain);
  if (cache === undefined) return serve();
  return cache.readThrough({ method, ...resolved }, serve, (body) => ({
    ...NO_UPSTREAM,
    body,
    outcome: 'error' in body ? 'rpc_error' : 'success',
  }));
}

/** Identical in-flight reads share one upstream execution; others go to the providers. */
function coalesceOrRoute(
  chain: ChainRuntime,
  state: ChainPipelineState,
  method: string,
  resolved: ResolvedBlock,
  policy: MethodPolicy,
  route: RouteOptions,
  deps: ExecuteDeps,
): Promise<RoutedResponse> {
  const pinned = route.pinnedProviderId !== undefined;
  const routeOne = (r: ResolvedBlock): Promise<RoutedResponse> => routeToProviders(chain, state, method, r, policy, route, deps);
  // eth_getLogs over a range: cut into sub-ranges when providers refuse it whole.
  const serve = (): Promise<RoutedResponse> => (method === 'eth_getLogs' && !pinned && serveLogsOverRange(chain, resolved, routeOne, route, deps)) || routeOne(resolved);
  const coalescing = chain.config.coalescing;
  if (policy.replaySafe && coalescing.enabled && !coalescing.disabledMethods.includes(method)) {
    const key = coalescingKey(method, resolved.params, `${route.strategy}|${route.pinnedProviderId ?? ''}`, chain.view.answerHead());
    if (key !== undefined) {
      const { promise, joined } = state.coalescer.run(key, serve);
      if (!joined) return promise;
      deps.metrics.coalesced.inc({ chain: chain.name, method: metricMethodLabel(method) });
      return promise.then((shared) => ({ ...shared, attempts: 0, hedged: false }));
    }
  }
  return serve();
}

function tagHeights(chain: ChainRuntime): { latest: number | undefined; safe: number | undefined; finalized: number | undefined } {
  const { view } = chain;
  return { latest: view.answerHead(), safe: view.safe(), finalized: view.finalized() };
}

/**
 * eth_blockNumber is the chain view's answer head: never lower than a head already answered or
 * announced, never a head only one provider claims. Until the view has a head (at start), it
 * waits briefly for one, then asks the providers.
 */
async function answerBlockNumber(chain: ChainRuntime, state: ChainPipelineState, policy: MethodPolicy, route: RouteOptions, deps: ExecuteDeps): Promise<RoutedResponse> {
  const { view } = chain;
  if (view.answerHead() === undefined) await view.firstHead(Math.min(FIRST_HEAD_WAIT_MS, route.deadline - chain.now()));
  const head = view.answerHead();
  if (head !== undefined) {
    view.noteAnswered(head);
    return { ...NO_UPSTREAM, body: { result: ResultBytes.fromValue(toQuantity(head)) }, outcome: 'success' };
  }
  return routeToProviders(chain, state, 'eth_blockNumber', { params: [], target: UNRESOLVED }, policy, route, deps);
}

/**
 * Routes to the providers: candidate selection, then the attempt race. When no candidate gave the
 * block and one said null for a block the chain already has, or said it does not have a block at
 * or below the head Lasso has answered with (still propagating), asks again after a short pause
 * rather than tell the client the block does not exist; for longer when a candidate failed (see
 * NULL_RETRY_PATIENCE_MS).
 */
async function routeToProviders(
  chain: ChainRuntime,
  state: ChainPipelineState,
  method: string,
  resolved: ResolvedBlock,
  policy: MethodPolicy,
  route: RouteOptions,
  deps: ExecuteDeps,
): Promise<RoutedResponse> {
  // Only requests that reach the providers earn hedges: answers from the cache, the chain view or
  // a shared in-flight request must not grow the share of upstream traffic that hedges may take.
  state.hedgeBudget.earn();
  const { params } = resolved;
  const pinned = route.pinnedProviderId !== undefined;
  const hint = pinned ? undefined : state.writes.hintFor(method, params);
  const target: BlockTarget = hint?.minedIn !== undefined && resolved.target.kind === 'none' ? { kind: 'number', number: hint.minedIn, moving: false } : resolved.target;
  const rangeSize = method === 'eth_getLogs' ? logsRangeSize(params, chain.view.answerHead()) : undefined;
  const selection = selectCandidates(chain, {
    method,
    rangeSize,
    strategy: route.strategy,
    pinnedProviderId: route.pinnedProviderId,
    target,
    headDependent: target.kind === 'number' && target.moving,
    preferredProviderId: hint?.providerId,
  });
  const hedging = chain.config.hedging;
  const race = new AttemptRace(
    chain,
    state,
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
      target,
      requestId: route.requestId,
    },
    deps,
  );
  const startedAt = chain.now();
  let verdict: RaceVerdict = await race.run();
  for (let round = 0; (verdict.kind === 'null' || verdict.kind === 'exhausted') && verdict.propagating; round++) {
    const failed = verdict.kind === 'null' ? verdict.failed : verdict.last;
    const patient = round === 0 || (failed !== undefined && chain.now() - startedAt < NULL_RETRY_PATIENCE_MS);
    if (!patient || route.deadline - chain.now() <= NULL_RETRY_DELAY_MS) break;
    await new Promise((resolve) => setTimeout(resolve, NULL_RETRY_DELAY_MS));
    race.allowAnotherRound();
    verdict = await race.run();
  }
  const { attempts, hedged } = race;
  const failureContext: FailureContext = { chain, method, params, policy, route, logger: deps.logger };
  switch (verdict.kind) {
    case 'answer': {
      const result = (verdict.attempt.outcome as ResultOutcome).bytes;
      learnFromAnswer(chain, state, method, params, verdict.attempt.provider, verdict.attempt.outcome as ResultOutcome);
      return { body: { result }, providerId: verdict.attempt.provider.id, attempts, outcome: 'success', hedged };
    }
    case 'null':
      return { body: { result: (verdict.attempt.outcome as ResultOutcome).bytes }, providerId: verdict.attempt.provider.id, attempts, outcome: 'success', hedged };
    case 'final_failure':
      return { ...(await failureAnswer(verdict.attempt, attempts, undefined, failureContext)), hedged, failure: verdict.attempt.classification as Classification };
    case 'exhausted':
      if (verdict.last !== undefined) {
        const retryAfterMs = verdict.rateLimitedRetryAfterMs === undefined ? undefined : minDefined(verdict.rateLimitedRetryAfterMs, selection.retryAfterMs);
        return { ...(await failureAnswer(verdict.last, attempts, retryAfterMs, failureContext)), hedged, failure: verdict.last.classification as Classification };
      }
  }
  if (selection.retryAfterMs !== undefined && selection.candidates.length === 0) return rateLimitedAnswer(selection.retryAfterMs, 0);
  if (route.deadline - chain.now() <= 0) return lassoAnswer(new RpcError(RpcErrorCode.Timeout, 'request deadline expired before any provider answered'), 'failed');
  const reasons = selection.excluded.map((e) => `${e.provider.id}: ${e.reason}`).join(', ');
  return lassoAnswer(
    new RpcError(RpcErrorCode.NoProviderAvailable, `no provider available for ${method} on ${chain.name}${reasons ? ` (${reasons})` : ''}`),
    'failed',
  );
}

/**
 * What an answer teaches the chain view: a block, a receipt or a mined transaction proves that
 * the provider has that block, and a client that saw it must not be shown an older head; a sent
 * transaction steers later reads of it.
 */
function learnFromAnswer(chain: ChainRuntime, state: ChainPipelineState, method: string, params: unknown, provider: ProviderRuntime, outcome: ResultOutcome): void {
  if (method === 'eth_sendRawTransaction') {
    state.writes.noteSent(Array.isArray(params) ? params[0] : undefined, provider.id);
    return;
  }
  if (outcome.bytes.isNull || !BLOCK_BEARING.has(method)) return;
  let numberHex: unknown;
  let hash: unknown;
  if (method === 'eth_getBlockByNumber' || method === 'eth_getBlockByHash') {
    // Read off the bytes: a block with its transactions can be large.
    numberHex = outcome.bytes.blockNumber();
    hash = outcome.bytes.blockHash();
  } else {
    const r = outcome.result as { blockNumber?: unknown; blockHash?: unknown } | null;
    numberHex = r?.blockNumber;
    hash = r?.blockHash;
  }
  if (typeof numberHex !== 'string') return;
  const number = Number.parseInt(numberHex, 16);
  if (!Number.isSafeInteger(number)) return;
  chain.view.observeBlock(provider, number, typeof hash === 'string' ? hash : undefined);
  chain.view.noteAnswered(number);
  if (method !== 'eth_getBlockByNumber' && method !== 'eth_getBlockByHash' && Array.isArray(params) && typeof params[0] === 'string') {
    state.writes.noteMined(params[0], number);
  }
}

/** Answers that name the block they come from. */
const BLOCK_BEARING: ReadonlySet<string> = new Set(['eth_getBlockByNumber', 'eth_getBlockByHash', 'eth_getTransactionReceipt', 'eth_getTransactionByHash']);

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
    { requestId: ctx.route.requestId, chain: ctx.chain.name, method: ctx.method, provider: provider.id, attempts, errorClass: classification.errorClass, cause },
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
