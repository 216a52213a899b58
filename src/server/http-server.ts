import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorResponse, RpcErrorCode } from '../jsonrpc/errors.js';
import { totalLength } from '../jsonrpc/byte-segments.js';
import { parsePayload } from '../jsonrpc/parse.js';
import type { JsonRpcFailure } from '../jsonrpc/types.js';
import type { ConfigIssue } from '../config/index.js';
import { clientIdentity, itemMethods } from '../front-door/front-door.js';
import type { FrontDoor } from '../front-door/front-door.js';
import type { ExecuteDeps } from '../pipeline/types.js';
import { handlePayload } from '../pipeline/handle-payload.js';
import type { ChainRegistry } from '../providers/chain-registry.js';
import { chainsView, healthView, providersView } from './admin-views.js';
import type { HealthSource } from './admin-views.js';
import { DEFAULT_COMPRESSION_THRESHOLD_BYTES, negotiateEncoding, writeAnswer } from './answer-writer.js';
import type { AnswerCompressionOptions } from './answer-writer.js';
import { rawHeader } from './raw-header.js';
import { BodyTooLargeError, readBody } from './read-body.js';
import type { RouteCache } from './resolve-route.js';
import { pathSegments } from './rpc-route.js';

export interface HttpFrontOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  maxBatchSize: number;
  /** Whole-request deadline; per-attempt timeouts come from the method table inside it. */
  requestTimeoutMs: number;
  /** Compressed answers for clients that accept it (see answer-writer.ts for the defaults). */
  compression?: AnswerCompressionOptions;
}

export interface HttpFrontDeps extends ExecuteDeps {
  chains: ChainRegistry;
  routes: RouteCache;
  /** Keys, chain and method rules, rate limits, CORS and the admin key. */
  frontDoor: FrontDoor;
  /** What can make the process degraded beyond its chains' providers (e.g. shared state unreachable). */
  healthSources: readonly HealthSource[];
  /** Re-reads and applies the config (`POST /api/admin/reload`); absent when there is no file to re-read. */
  reload?: () => Promise<ReloadResult>;
  /** Serves /dashboard and below (`rest`: the path after /dashboard/, '' for the page). */
  dashboard?: { handle(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> };
}

/** What `POST /api/admin/reload` answers: what changed, or every problem of a refused file. */
export type ReloadResult = { ok: true; changes: string[] } | { ok: false; problems: ConfigIssue[] };

/** Request ids: unique per process start (random prefix) and cheap (a counter), unlike a UUID per request. */
const requestIdPrefix = randomUUID().slice(0, 8);
let requestCounter = 0;
function nextRequestId(): string {
  return `${requestIdPrefix}-${(++requestCounter).toString(36)}`;
}

/**
 * Lasso's HTTP front: JSON-RPC on /rpc/..., and the admin endpoints (/health, /api/chains,
 * /api/providers, /metrics). Every error a client can cause is answered as JSON-RPC and counted.
 */
export function createHttpFront(options: HttpFrontOptions, deps: HttpFrontDeps): Server {
  const server = createServer((req, res) => {
    handle(req, res, options, deps).catch((err: unknown) => {
      // Only reached by a bug: keep the process up and answer something precise.
      deps.logger.error({ err }, 'unhandled error in request handler');
      if (!res.headersSent) sendJson(res, 500, errorResponse(null, RpcErrorCode.InternalError, 'internal error'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

function handle(req: IncomingMessage, res: ServerResponse, options: HttpFrontOptions, deps: HttpFrontDeps): Promise<void> {
  const url = req.url ?? '/';
  // JSON-RPC is the hot path: no path splitting for its usual shape (the route cache resolves it).
  if (url.startsWith('/rpc/')) return handleRpc(req, res, url, options, deps);
  return handleOther(req, res, url, options, deps);
}

async function handleOther(req: IncomingMessage, res: ServerResponse, url: string, options: HttpFrontOptions, deps: HttpFrontDeps): Promise<void> {
  const segments = pathSegments(url);
  const [first] = segments;
  if (first === 'rpc') return handleRpc(req, res, url, options, deps);
  if (first === 'ws') {
    res.setHeader('upgrade', 'websocket');
    return sendJson(res, 426, errorResponse(null, RpcErrorCode.InvalidRequest, 'this endpoint speaks JSON-RPC over WebSocket: connect with a WebSocket client'));
  }
  if (isAdminPath(first) && !deps.frontDoor.isAdmin(req)) {
    res.setHeader('www-authenticate', 'Bearer');
    return sendJson(res, 401, { error: 'admin key required: send it as "Authorization: Bearer <key>" (or ?key=<key>)' });
  }
  const path = segments.join('/');
  if (path === 'api/admin/reload') return handleReload(req, res, deps);
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
  // Live dashboard: the page and its event stream.
  if (first === 'dashboard' && deps.dashboard) return deps.dashboard.handle(req, res, segments.slice(1).join('/'));
  switch (path) {
    case 'health': {
      const health = healthView(deps.chains, deps.healthSources);
      return sendJson(res, health.httpStatus, health.body);
    }
    case 'api/chains':
      return sendJson(res, 200, chainsView(deps.chains));
    case 'api/providers':
      return sendJson(res, 200, providersView(deps.chains));
    case 'metrics': {
      const text = await deps.metrics.render();
      res.writeHead(200, { 'content-type': deps.metrics.contentType() });
      res.end(text);
      return;
    }
    default:
      return sendJson(res, 404, { error: 'not found', routes: ['POST /rpc/:chain', 'POST /rpc/:strategy/:chain', 'POST /rpc/provider/:providerId/:chain', 'GET /ws/rpc/:chain (WebSocket)', 'GET /health', 'GET /api/chains', 'GET /api/providers', 'GET /metrics', 'GET /dashboard'] });
  }
}

async function handleRpc(req: IncomingMessage, res: ServerResponse, url: string, options: HttpFrontOptions, deps: HttpFrontDeps): Promise<void> {
  const requestId = nextRequestId();
  if (req.method !== 'POST') {
    if (req.method === 'OPTIONS') return answerPreflight(req, res, deps.frontDoor);
    res.setHeader('allow', 'POST');
    return rejectRpc(res, requestId, 405, RpcErrorCode.InvalidRequest, 'JSON-RPC over HTTP needs POST', 'http_method', deps);
  }
  const resolved = deps.routes.resolve(url);
  if (!resolved.ok) return rejectRpc(res, requestId, 404, resolved.code, resolved.message, resolved.reason, deps);
  const origin = rawHeader(req, 'origin');
  const admission = deps.frontDoor.admit(req, resolved.chain, 'http');
  if (!admission.ok) {
    if (origin !== undefined) setHeaders(res, deps.frontDoor.cors.responseHeaders(origin));
    if (admission.status === 401) res.setHeader('www-authenticate', 'Bearer');
    res.setHeader('x-lasso-request-id', requestId);
    return sendJson(res, admission.status, admission.error.toResponse(null));
  }

  let body: Buffer;
  try {
    body = await readBody(req, options.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      res.setHeader('connection', 'close');
      return rejectRpc(res, requestId, 413, RpcErrorCode.InvalidRequest, err.message, 'body_too_large', deps);
    }
    deps.logger.debug({ err }, 'client aborted request body');
    res.destroy();
    return;
  }

  const payload = parsePayload(body, { maxBatchSize: options.maxBatchSize });
  if (payload.kind === 'error') {
    deps.metrics.invalidRequests.inc({ transport: 'http', code: String(payload.response.error.code), reason: 'invalid_payload' });
    res.setHeader('x-lasso-request-id', requestId);
    return sendJson(res, 200, payload.response);
  }

  const { chain, strategy, pinnedProviderId } = resolved;
  const charged = deps.frontDoor.refusesNothing(admission.client)
    ? undefined
    : await deps.frontDoor.charge(admission.client, itemMethods(payload.kind === 'single' ? [payload.item] : payload.items), 'http');
  const result = await handlePayload(
    chain,
    payload,
    { strategy, pinnedProviderId, deadline: chain.now() + options.requestTimeoutMs, client: clientIdentity(admission.client, req), requestId },
    'http',
    deps,
    charged?.refusals,
  );
  // One flat header list: cheaper than setHeader per header on the hot path.
  const headers: string[] = ['x-lasso-request-id', requestId, 'x-lasso-attempts', String(result.attempts)];
  if (result.providers.length > 0) headers.push('x-lasso-provider', result.providers.join(','));
  if (result.hedged) headers.push('x-lasso-hedged', '1');
  if (result.cache !== undefined) headers.push('x-lasso-cache', result.cache);
  if (origin !== undefined) headers.push(...deps.frontDoor.cors.responseHeaders(origin, admission.client.allowedOrigins));
  // Everything refused by the limit: 429, so that HTTP clients and proxies back off too.
  const limited = charged?.limitedOnly === true;
  if (limited) headers.push('retry-after', String(Math.ceil((charged.retryAfterMs ?? 1000) / 1000)));
  if (result.body === undefined) {
    res.writeHead(limited ? 429 : 204, headers);
    res.end();
    return;
  }
  const jsonBytes = totalLength(result.body);
  const compression = options.compression;
  const encoding =
    (compression?.enabled ?? true) && jsonBytes >= (compression?.thresholdBytes ?? DEFAULT_COMPRESSION_THRESHOLD_BYTES)
      ? negotiateEncoding(req.headers['accept-encoding'])
      : undefined;
  const written = writeAnswer(res, limited ? 429 : 200, headers, result.body, encoding);
  const wireBytes = typeof written === 'number' ? written : await written;
  deps.metrics.recordHttpAnswerBytes(chain.name, encoding ?? 'identity', jsonBytes, wireBytes);
}

/** `/metrics`, `/api/*` and `/dashboard*` need the admin key when one is configured; `/health` never does. */
function isAdminPath(first: string | undefined): boolean {
  return first === 'metrics' || first === 'api' || (first !== undefined && first.startsWith('dashboard'));
}

function answerPreflight(req: IncomingMessage, res: ServerResponse, frontDoor: FrontDoor): void {
  const headers = frontDoor.cors.preflightHeaders(req.headers.origin);
  // Without allow headers the browser refuses the real request; the status itself does not matter to it.
  res.writeHead(204, headers ?? []);
  res.end();
}

async function handleReload(req: IncomingMessage, res: ServerResponse, deps: HttpFrontDeps): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return sendJson(res, 405, { error: 'POST to reload the config' });
  }
  if (!deps.reload) return sendJson(res, 409, { error: 'this Lasso was not started from a config file; nothing to reload' });
  const result = await deps.reload();
  return sendJson(res, result.ok ? 200 : 422, result);
}

function rejectRpc(res: ServerResponse, requestId: string, status: number, code: number, message: string, reason: string, deps: HttpFrontDeps): void {
  deps.metrics.invalidRequests.inc({ transport: 'http', code: String(code), reason });
  res.setHeader('x-lasso-request-id', requestId);
  sendJson(res, status, errorResponse(null, code, message) satisfies JsonRpcFailure);
}

/** Sets a flat [name, value, ...] list, as writeHead takes it. */
function setHeaders(res: ServerResponse, flat: readonly string[]): void {
  for (let i = 0; i + 1 < flat.length; i += 2) res.setHeader(flat[i] as string, flat[i + 1] as string);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
