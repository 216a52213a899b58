import { cacheOf } from '../cache/index.js';
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { fixedLogsRange, getLogsOverRange, isJsonArray, paramsForRange } from '../logs/index.js';
import type { BlockRange, FinalLogsStore, GetLogsOutcome, LogsSource, RangeAnswer } from '../logs/index.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import { acceptedBlocks } from '../resilience/index.js';
import { toQuantity } from './block-target.js';
import type { ResolvedBlock } from './block-target.js';
import type { ExecuteDeps, RouteOptions, RoutedResponse } from './types.js';

const METHOD = 'eth_getLogs';

/**
 * eth_getLogs over a fixed block range through the logs engine: each (sub-)range is one routed
 * request (`route`), so failover, breakers and hedging apply to every piece. Undefined when the
 * filter has no fixed range (a `blockHash` filter, unresolved tags): then it is routed as it is.
 */
export function serveLogsOverRange(
  chain: ChainRuntime,
  resolved: ResolvedBlock,
  route: (resolved: ResolvedBlock) => Promise<RoutedResponse>,
  options: RouteOptions,
  deps: ExecuteDeps,
): Promise<RoutedResponse> | undefined {
  const range = fixedLogsRange(resolved.params);
  if (range === undefined) return undefined;
  const tally = { attempts: 0, hedged: false, providers: new Set<string>() };
  const moving = resolved.target.kind === 'number' && resolved.target.moving;
  const pieceOf = (piece: BlockRange): ResolvedBlock => ({ params: paramsForRange(resolved.params, piece), target: { kind: 'number', number: piece.to, moving } });
  const store = options.useCache === false ? undefined : finalPiecesStore(chain, pieceOf);
  const source: LogsSource<RoutedResponse> = {
    fetch: async (piece) => {
      const whole = piece.from === range.from && piece.to === range.to;
      const response = await route(whole ? resolved : pieceOf(piece));
      tally.attempts += response.attempts;
      tally.hedged ||= response.hedged;
      const answer = rangeAnswer(response, chain.now() < options.deadline);
      if (answer.kind === 'logs' && response.providerId !== undefined) tally.providers.add(response.providerId);
      return answer;
    },
    providerLimits: () => providerLimits(chain),
    ...(store && { store }),
  };
  return getLogsOverRange(range, source, chain.config.getLogs).then((outcome) => {
    recordMetrics(chain.name, outcome, deps);
    const [only] = tally.providers;
    const served = { attempts: tally.attempts, hedged: tally.hedged };
    switch (outcome.kind) {
      case 'logs':
        return { body: { result: outcome.result }, providerId: tally.providers.size === 1 ? only : undefined, outcome: 'success', ...served };
      case 'failed':
        return { ...outcome.failure, ...served };
      case 'over_cap':
        return { body: { error: overCapError(outcome.range, outcome.limitBytes).toObject() }, providerId: undefined, outcome: 'rpc_error', ...served };
    }
  });
}

/** What a routed answer means for the engine: logs, a refusal for the range's size, or another failure. */
function rangeAnswer(response: RoutedResponse, timeLeft: boolean): RangeAnswer<RoutedResponse> {
  if ('result' in response.body) {
    return isJsonArray(response.body.result) ? { kind: 'logs', result: response.body.result } : { kind: 'failed', failure: response, retryable: false };
  }
  const failure = response.failure;
  if (failure?.capabilityKind === 'range_too_large') return { kind: 'too_wide', accepts: acceptedBlocks(failure.rangeLimit), failure: response };
  // An answer over limits.maxUpstreamResponseBytes is not cut: its halves would merge past
  // getLogs.maxResponseBytes (the smaller cap by default) anyway, after fetching it all.
  return { kind: 'failed', failure: response, retryable: response.outcome === 'failed' && timeLeft };
}

/**
 * The widest range each provider that can serve now accepts: the configured limit and what its
 * refusals taught, whichever is smaller. Providers cooling down, with an open breaker or without
 * eth_getLogs are left out: they will not be asked.
 */
function providerLimits(chain: ChainRuntime): (number | undefined)[] {
  const limits: (number | undefined)[] = [];
  for (const provider of chain.providers) {
    if (provider.cooldown.isCoolingDown() || provider.httpBreaker.state === 'open' || chain.capabilities.isUnsupported(provider.id, METHOD)) continue;
    const limit = Math.min(provider.config.getLogsMaxRange ?? Infinity, chain.capabilities.logsRangeLimit(provider.id, METHOD) ?? Infinity);
    limits.push(Number.isFinite(limit) ? limit : undefined);
  }
  return limits;
}

/**
 * Pieces kept in the chain's response cache, which keeps eth_getLogs answers only over final
 * blocks: another query over the same old blocks then costs no upstream call for them.
 */
function finalPiecesStore(chain: ChainRuntime, pieceOf: (piece: BlockRange) => ResolvedBlock): FinalLogsStore | undefined {
  const cache = cacheOf(chain);
  if (cache === undefined) return undefined;
  const request = (piece: BlockRange) => ({ method: METHOD, ...pieceOf(piece) });
  return {
    get: async (piece) => {
      const body = await cache.lookup(request(piece));
      return body !== undefined && 'result' in body ? body.result : undefined;
    },
    put: (piece, result) => cache.store(request(piece), { body: { result }, outcome: 'success' }),
  };
}

function overCapError(range: BlockRange, limitBytes: number): RpcError {
  return new RpcError(
    RpcErrorCode.ServerError,
    `eth_getLogs for blocks ${range.from}..${range.to} would answer more than getLogs.maxResponseBytes (${limitBytes} bytes): ask for a narrower range or a more specific filter, or raise the limit`,
    { limit: 'getLogs.maxResponseBytes', limitBytes, fromBlock: toQuantity(range.from), toBlock: toQuantity(range.to) },
  );
}

function recordMetrics(chain: string, outcome: GetLogsOutcome<RoutedResponse>, deps: ExecuteDeps): void {
  const metrics = deps.metrics.getLogs;
  const { subRequests, splits, bisections } = outcome.stats;
  if (subRequests > 0) metrics.subRequests.inc({ chain }, subRequests);
  if (splits > 0) metrics.splits.inc({ chain }, splits);
  if (bisections > 0) metrics.bisections.inc({ chain }, bisections);
  if (outcome.kind === 'over_cap') metrics.refusals.inc({ chain, reason: 'max_response_bytes' });
}
