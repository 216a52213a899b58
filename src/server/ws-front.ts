/**
 * Lasso's client-facing WebSocket front, on the same node:http server and port as the HTTP front:
 *
 *   GET /ws/rpc/:chain | /ws/rpc/:strategy/:chain | /ws/rpc/provider/:providerId/:chain  (upgrade)
 *
 * Plain JSON-RPC over the socket (anything the HTTP path serves, batches included, routed and
 * failed over the same way) plus eth_subscribe / eth_unsubscribe through the chain's
 * SubscriptionService. Subscriptions ignore the URL's strategy / pinned provider: the engine picks
 * and fails over upstreams itself.
 *
 * Refusals happen before the upgrade, as plain HTTP with a JSON-RPC error body: an unknown chain,
 * strategy or provider gets 404, the connection limit and shutdown get 503 (with Retry-After). Every
 * WebSocket client library reports the status ("Unexpected server response: 404"), `curl -i` shows
 * the body, and a client that reconnects does not mistake a refusal for a dropped connection.
 */
import { STATUS_CODES } from 'node:http';
import { clientIdentity } from '../front-door/front-door.js';
import type { FrontDoor } from '../front-door/front-door.js';
import type { ExecuteDeps } from '../pipeline/types.js';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { RpcErrorCode, errorResponse } from '../jsonrpc/errors.js';
import type { WsMetrics } from '../observability/ws-metrics.js';
import type { ChainRegistry } from '../providers/chain-registry.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { SubscriptionService } from '../subscriptions/types.js';
import { resolveRoute } from './resolve-route.js';
import { pathSegments } from './rpc-route.js';
import { WsConnection } from './ws-connection.js';
import { FlushScheduler } from './ws-output.js';
import type { WsConnectionLimits, WsRoute } from './ws-connection.js';

export interface WsFrontOptions {
  /** Most open client connections (all chains). */
  maxConnections: number;
  /** Most requests in flight per connection (batch items count one each); at the limit reading pauses. */
  maxInFlightPerConnection: number;
  /** Most live subscriptions per connection. */
  maxSubscriptionsPerConnection: number;
  /** Largest message answered with a JSON-RPC error instead of a close; twice this closes with 1009. */
  maxMessageBytes: number;
  /**
   * Most bytes waiting to be sent to one client before it is closed as too slow; also the most
   * bytes of requests held while reading is paused (beyond it, requests get -32005).
   */
  maxBufferedBytes: number;
  /** Server ping interval in ms; 0 disables keep-alive. */
  pingIntervalMs: number;
  /** Largest JSON-RPC batch (shared with HTTP). */
  maxBatchSize: number;
  /** Whole-request deadline (shared with HTTP). */
  requestTimeoutMs: number;
  /**
   * Time a client gets to finish a close handshake the server started (slow client, shutdown)
   * before its socket is destroyed.
   * @default 5000
   */
  closeGraceMs?: number;
}

export interface WsFrontDeps extends ExecuteDeps {
  chains: ChainRegistry;
  wsMetrics: WsMetrics;
  /** Keys, chain and method rules, rate limits. */
  frontDoor: FrontDoor;
  /** The chain's subscription engine, if it has one. */
  subscriptions: (chain: ChainRuntime) => SubscriptionService | undefined;
}

export interface WsFrontStats {
  connections: number;
  subscriptions: number;
  byChain: Record<string, { connections: number; subscriptions: number }>;
}

export interface WsFront {
  stats(): WsFrontStats;
  /** Closes every client (1001), waits up to `timeoutMs` for them to go, then destroys the rest. */
  close(timeoutMs?: number): Promise<void>;
}

const DEFAULT_CLOSE_GRACE_MS = 5000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 1000;

/** Attaches the WebSocket front to `server` (its `upgrade` event). */
export function attachWsFront(server: Server, options: WsFrontOptions, deps: WsFrontDeps): WsFront {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    // The hard cap: a message up to maxMessageBytes is served, one up to twice that is answered with a
    // JSON-RPC error, anything bigger is never buffered (ws closes with 1009).
    maxPayload: options.maxMessageBytes * 2,
  });
  const connections = new Set<WsConnection>();
  const limits: WsConnectionLimits = {
    maxInFlightPerConnection: options.maxInFlightPerConnection,
    maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection,
    maxMessageBytes: options.maxMessageBytes,
    maxBufferedBytes: options.maxBufferedBytes,
    maxBatchSize: options.maxBatchSize,
    requestTimeoutMs: options.requestTimeoutMs,
    closeGraceMs: options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
  };
  let nextId = 1;
  let closing = false;
  const connectionDeps = { ...deps, flushScheduler: new FlushScheduler() };

  const heartbeat =
    options.pingIntervalMs > 0
      ? setInterval(() => {
          for (const c of connections) c.heartbeat();
        }, options.pingIntervalMs)
      : undefined;
  heartbeat?.unref();

  // Resolved when the last connection is gone (shutdown waits on it).
  let drained: (() => void) | undefined;
  const untrack = (c: WsConnection): void => {
    connections.delete(c);
    deps.wsMetrics.connections.dec({ chain: c.chainName });
    if (connections.size === 0) drained?.();
  };
  const allClosed = (ms: number): Promise<void> =>
    connections.size === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });

  const reject = (socket: Duplex, status: number, code: number, message: string, reason: string, headers: Record<string, string> = {}): void => {
    deps.wsMetrics.upgradeRejections.inc({ reason });
    writeHttpError(socket, status, JSON.stringify(errorResponse(null, code, message)), headers);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Until ws owns the socket, a client reset must not become an uncaught 'error'.
    socket.on('error', ignore);
    const segments = pathSegments(req.url ?? '/');
    if (segments[0] !== 'ws' || segments[1] !== 'rpc') {
      return reject(socket, 404, RpcErrorCode.InvalidRequest, 'no WebSocket endpoint here; use /ws/rpc/:chain, /ws/rpc/:strategy/:chain or /ws/rpc/provider/:providerId/:chain', 'bad_route');
    }
    if (closing) return reject(socket, 503, RpcErrorCode.ServerError, 'server is shutting down', 'shutting_down', { 'retry-after': '1' });
    const resolved = resolveRoute(segments.slice(2), deps.chains);
    if (!resolved.ok) {
      const message = resolved.reason === 'bad_route' ? 'expected /ws/rpc/:chain, /ws/rpc/:strategy/:chain or /ws/rpc/provider/:providerId/:chain' : resolved.message;
      return reject(socket, 404, resolved.code, message, resolved.reason);
    }
    const admission = deps.frontDoor.admit(req, resolved.chain, 'ws');
    if (!admission.ok) return reject(socket, admission.status, admission.error.code, admission.error.message, admission.reason);
    if (connections.size >= options.maxConnections) {
      deps.wsMetrics.limitRejections.inc({ chain: resolved.chain.name, limit: 'connections' });
      return reject(socket, 503, RpcErrorCode.ServerError, `too many WebSocket connections (limit ${options.maxConnections}); retry later`, 'connections', { 'retry-after': '1' });
    }
    const route: WsRoute = {
      chain: resolved.chain,
      strategy: resolved.strategy,
      pinnedProviderId: resolved.pinnedProviderId,
      subscriptions: deps.subscriptions(resolved.chain),
      charge: (methods) => deps.frontDoor.charge(admission.client, methods, 'ws'),
      client: clientIdentity(admission.client, req),
    };
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      socket.off('error', ignore);
      if (closing) {
        ws.terminate();
        return;
      }
      const connection = new WsConnection(nextId++, ws, socket, route, limits, connectionDeps, untrack);
      connections.add(connection);
      deps.wsMetrics.connections.inc({ chain: route.chain.name });
      deps.wsMetrics.connectionsTotal.inc({ chain: route.chain.name });
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    stats() {
      const byChain: WsFrontStats['byChain'] = {};
      let subscriptions = 0;
      for (const c of connections) {
        const entry = (byChain[c.chainName] ??= { connections: 0, subscriptions: 0 });
        entry.connections++;
        entry.subscriptions += c.subscriptionCount;
        subscriptions += c.subscriptionCount;
      }
      return { connections: connections.size, subscriptions, byChain };
    },
    async close(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS) {
      closing = true;
      if (heartbeat) clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      for (const c of connections) c.shutdown();
      await allClosed(timeoutMs);
      for (const c of connections) c.terminate();
      // Terminated sockets report 'close' on a later tick; wait for that so metrics and cleanup are final.
      await allClosed(1000);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function writeHttpError(socket: Duplex, status: number, body: string, headers: Record<string, string>): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
}

function ignore(): void {
  // Deliberately empty: see onUpgrade.
}
