import type { RpcError } from '../jsonrpc/errors.js';
import type { ParsedItem, ParsedPayload } from '../jsonrpc/parse.js';
import { totalLength } from '../jsonrpc/byte-segments.js';
import { serializeResponse } from '../jsonrpc/parse.js';
import { idText, splicedBatch, splicedSuccess } from '../jsonrpc/splice.js';
import type { JsonRpcRequest } from '../jsonrpc/types.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { ExecuteDeps, RouteOptions, RoutedResponse } from './types.js';
import { executeRequest } from './execute.js';
import { metricMethodLabel } from '../observability/method-label.js';

export type ClientTransport = 'http' | 'ws';

export interface PayloadResult {
  /**
   * The JSON-RPC answer as segments to write in order (results are the upstream's own bytes,
   * spliced, never copied); undefined when nothing must be sent back (notifications only).
   */
  body: Buffer[] | undefined;
  /** Providers that served at least one item, in first-served order. */
  providers: string[];
  attempts: number;
  /** At least one item was hedged to a second provider. */
  hedged: boolean;
  /** A single request the response cache looked up: answered from it, or not. */
  cache?: 'hit' | 'miss';
}

/**
 * Runs a parsed single request or batch against one chain. Batch items are routed and failed over
 * independently and concurrently; the response keeps the request order and omits notifications.
 */
export async function handlePayload(
  chain: ChainRuntime,
  payload: Exclude<ParsedPayload, { kind: 'error' }>,
  route: RouteOptions,
  transport: ClientTransport,
  deps: ExecuteDeps,
  /** Items the front door refused (by index): answered with that error, never sent upstream. */
  refusals?: ReadonlyArray<RpcError | undefined>,
): Promise<PayloadResult> {
  if (payload.kind === 'single') {
    const r = await runItem(chain, payload.item, route, transport, deps, refusals?.[0]);
    const providerId = r.routed?.providerId;
    return {
      body: r.answer,
      providers: providerId === undefined ? [] : [providerId],
      attempts: r.routed?.attempts ?? 0,
      hedged: r.routed?.hedged ?? false,
      ...(r.routed?.cache !== undefined && { cache: r.routed.cache }),
    };
  }
  const routed = await Promise.all(payload.items.map((item, i) => runItem(chain, item, route, transport, deps, refusals?.[i])));
  const providers: string[] = [];
  let attempts = 0;
  let hedged = false;
  const parts: Buffer[][] = [];
  for (const r of routed) {
    if (r.routed) {
      attempts += r.routed.attempts;
      hedged ||= r.routed.hedged;
      if (r.routed.providerId !== undefined && !providers.includes(r.routed.providerId)) providers.push(r.routed.providerId);
    }
    if (r.answer) parts.push(r.answer);
  }
  return { body: parts.length > 0 ? splicedBatch(parts) : undefined, providers, attempts, hedged };
}

async function runItem(
  chain: ChainRuntime,
  item: ParsedItem,
  route: RouteOptions,
  transport: ClientTransport,
  deps: ExecuteDeps,
  refusal: RpcError | undefined,
): Promise<{ answer: Buffer[] | undefined; routed?: RoutedResponse }> {
  if (item.kind === 'invalid') {
    deps.metrics.invalidRequests.inc({ transport, code: String(item.response.error.code), reason: 'invalid_request' });
    return { answer: [Buffer.from(serializeResponse(item.response, item.rawId))] };
  }
  const request: JsonRpcRequest = item.request;
  if (refusal !== undefined) {
    return { answer: request.id === undefined ? undefined : [Buffer.from(serializeResponse(refusal.toResponse(request.id), item.rawId))] };
  }
  const startedAt = performance.now();
  const routed = await executeRequest(chain, request.method, request.params, route, transport, deps);
  const seconds = (performance.now() - startedAt) / 1000;
  const method = metricMethodLabel(request.method);
  deps.metrics.recordRequest(chain.name, method, transport, routed.outcome, seconds);
  if (deps.logger.isLevelEnabled('debug')) {
    const { outcome, providerId: provider, attempts } = routed;
    // `client` is the key's id or the client's address, never the key.
    deps.logger.debug({ requestId: route.requestId, chain: chain.name, client: route.client, method: request.method, outcome, provider, attempts, ms: seconds * 1000 }, 'request');
  }
  if (!('id' in request) || request.id === undefined) return { answer: undefined, routed };
  const answer =
    'result' in routed.body
      ? splicedSuccess(idText(request.id, item.rawId), routed.body.result.segments)
      : [Buffer.from(serializeResponse({ jsonrpc: '2.0', id: request.id, error: routed.body.error }, item.rawId))];
  deps.metrics.recordAnswerBytes(chain.name, method, transport, totalLength(answer));
  return { answer, routed };
}
