/**
 * One client WebSocket connection: JSON-RPC in (single, batch, eth_subscribe / eth_unsubscribe),
 * responses and notifications out under a bounded send buffer, limits, keep-alive state, and the
 * cleanup of every subscription when the client leaves.
 */
import WebSocket from 'ws';
import { itemMethods } from '../front-door/front-door.js';
import type { ChargeResult } from '../front-door/front-door.js';
import type { ExecuteDeps } from '../pipeline/types.js';
import type { RawData } from 'ws';
import type { Duplex } from 'node:stream';
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { methodPolicy } from '../jsonrpc/method-policy.js';
import { parsePayload, serializeResponse } from '../jsonrpc/parse.js';
import { splicedBatch } from '../jsonrpc/splice.js';
import type { ParsedItem, ParsedPayload } from '../jsonrpc/parse.js';
import type { JsonRpcRequest, JsonRpcResponse } from '../jsonrpc/types.js';
import type { Logger } from '../observability/logger.js';
import type { WsDisconnectReason, WsMetrics } from '../observability/ws-metrics.js';
import { metricMethodLabel } from '../observability/method-label.js';
import { handlePayload } from '../pipeline/handle-payload.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { StrategyName } from '../routing/index.js';
import type { SubscriptionService } from '../subscriptions/types.js';
import { ClientSubscriptions } from './ws-client-subscriptions.js';
import { WsCloseCode, closeReason, internalError, limitError, messageFrame, noticeText, textFrame } from './ws-messages.js';
import { FrameWriter } from './ws-output.js';
import type { FlushScheduler } from './ws-output.js';

/** Limits and deadlines of one connection (from `server` and `server.websocket` config). */
export interface WsConnectionLimits {
  maxInFlightPerConnection: number;
  maxSubscriptionsPerConnection: number;
  maxMessageBytes: number;
  maxBufferedBytes: number;
  maxBatchSize: number;
  requestTimeoutMs: number;
  /** After the front starts a close, how long the client gets to finish the handshake before the socket is destroyed. */
  closeGraceMs: number;
}

/** Where the connection's requests go, from its URL. */
export interface WsRoute {
  chain: ChainRuntime;
  strategy: StrategyName;
  pinnedProviderId: string | undefined;
  /** The chain's subscription engine; undefined when the chain has none (eth_subscribe gets -32601). */
  subscriptions: SubscriptionService | undefined;
  /** The front door's method rules and rate limits for this connection's client. */
  charge: (methods: ReadonlyArray<string | undefined>) => Promise<ChargeResult | undefined>;
  /** Who the client is (`key:<id>` or `ip:<address>`): the owner of the filters it creates. */
  client: string;
}

export interface WsConnectionDeps extends ExecuteDeps {
  wsMetrics: WsMetrics;
  /** Batches every connection's writes per event-loop turn. */
  flushScheduler: FlushScheduler;
}

interface ItemResult {
  /** Serialized response; undefined for notifications (and subscribes whose client already left). */
  text: string | undefined;
  /** Instead of `text`: an answer as segments (upstream result bytes spliced with the client's id). */
  bytes?: Buffer[] | undefined;
  /** Runs once the message holding `text` was written (an eth_subscribe goes live only then). */
  afterSend?: () => void;
}

export class WsConnection {
  /** Cleared before each server ping, set by the pong: false at the next tick means the client missed it. */
  isAlive = true;
  /** Set when the connection starts closing; the reason it is reported under. */
  private closing: WsDisconnectReason | undefined;
  private closed = false;
  private inFlight = 0;
  /**
   * Messages read while the connection had its maximum in flight, in arrival order. Reading is paused
   * meanwhile (TCP backpressure slows the client), so this only holds what ws had already decoded.
   */
  private readonly waiting: Array<{ payload: ServablePayload; requests: number; bytes: number }> = [];
  private waitingBytes = 0;
  /** Bytes held in front-side queues (notifications waiting for their eth_subscribe response). */
  private queuedBytes = 0;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly subs: ClientSubscriptions;
  private readonly output: FrameWriter;
  private readonly messagesIn;
  private readonly messagesOut;
  private readonly log: Logger;

  constructor(
    readonly id: number,
    private readonly socket: WebSocket,
    /** The TCP socket under `socket`: frames are written to it directly (see FrameWriter). */
    rawSocket: Duplex,
    private readonly route: WsRoute,
    private readonly limits: WsConnectionLimits,
    private readonly deps: WsConnectionDeps,
    private readonly onClosed: (connection: WsConnection) => void,
  ) {
    const chain = route.chain.name;
    this.messagesIn = deps.wsMetrics.messages.labels(chain, 'in');
    this.messagesOut = deps.wsMetrics.messages.labels(chain, 'out');
    this.log = deps.logger.child({ ws: id, chain });
    this.output = new FrameWriter(rawSocket, deps.flushScheduler, (messages) => this.messagesOut.inc(messages));
    this.subs = new ClientSubscriptions({
      sendNotification: (frame) => this.sendFrame(frame),
      reserveQueued: (bytes) => this.reserveQueued(bytes),
      isClosing: () => this.closing !== undefined,
      onEnded: (subId, error) => this.onSubscriptionEnded(subId, error),
      onCountChange: (kind, delta) => deps.wsMetrics.subscriptions.inc({ chain, kind: kindLabel(kind) }, delta),
    });
    socket.on('message', (data) => this.onMessage(data));
    socket.on('pong', () => {
      this.isAlive = true;
    });
    socket.on('error', (err: Error & { code?: string }) => this.onSocketError(err));
    socket.on('close', () => this.onClose());
  }

  get chainName(): string {
    return this.route.chain.name;
  }

  /** Live + pending subscriptions. */
  get subscriptionCount(): number {
    return this.subs.size;
  }

  /** Keep-alive tick (called by the front every pingIntervalMs). */
  heartbeat(): void {
    if (this.closing !== undefined) return;
    if (!this.isAlive) {
      this.log.info('client missed a pong: terminating');
      this.beginClose('ping_timeout');
      this.socket.terminate();
      return;
    }
    this.isAlive = false;
    try {
      this.socket.ping();
    } catch {
      // The socket is already going away; its close event does the cleanup.
    }
  }

  /** Server shutdown: release subscriptions and close with 1001. */
  shutdown(): void {
    if (this.closing !== undefined) return;
    this.beginClose('shutdown');
    this.output.flush();
    this.socket.close(WsCloseCode.GoingAway, 'server shutting down');
  }

  terminate(): void {
    this.socket.terminate();
  }

  // --- input -------------------------------------------------------------------------------------

  private onMessage(data: RawData): void {
    this.messagesIn.inc();
    if (this.closing !== undefined) return;
    const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (buffer.length > this.limits.maxMessageBytes) {
      this.countLimit('message_size');
      const err = limitError('maxMessageBytes', this.limits.maxMessageBytes, `message of ${buffer.length} bytes exceeds the limit of ${this.limits.maxMessageBytes} bytes`);
      this.send(JSON.stringify(err.toResponse(null)));
      return;
    }
    const payload = parsePayload(buffer, { maxBatchSize: this.limits.maxBatchSize });
    if (payload.kind === 'error') {
      this.deps.metrics.invalidRequests.inc({ transport: 'ws', code: String(payload.response.error.code), reason: 'invalid_payload' });
      this.send(JSON.stringify(payload.response));
      return;
    }
    const items = itemsOf(payload);
    let requests = 0;
    for (const item of items) if (item.kind === 'request') requests++;
    const max = this.limits.maxInFlightPerConnection;
    // A batch that alone exceeds the limit could never be served under it: refuse it outright.
    if (requests > max) {
      return this.refuse(payload, limitError('maxInFlightPerConnection', max, `batch of ${requests} requests exceeds the limit of ${max} in flight per connection; split it`));
    }
    if (this.waiting.length > 0 || this.inFlight + requests > max) {
      // Hard bound: only a client whose already-decoded backlog outgrows the send-buffer limit gets errors.
      if (this.waitingBytes + buffer.length > this.limits.maxBufferedBytes) {
        return this.refuse(
          payload,
          limitError('maxBufferedBytes', this.limits.maxBufferedBytes, `too many requests waiting on this connection (${this.waitingBytes + buffer.length} bytes held); wait for answers before sending more`),
        );
      }
      this.waiting.push({ payload, requests, bytes: buffer.length });
      this.waitingBytes += buffer.length;
      this.socket.pause();
      return;
    }
    this.start(payload, requests);
  }

  private start(payload: ServablePayload, requests: number): void {
    this.inFlight += requests;
    if (this.inFlight >= this.limits.maxInFlightPerConnection) this.socket.pause();
    this.run(payload, requests).catch((err: unknown) => {
      // Only reached by a bug: answering is impossible without ids, so log it and keep the connection.
      this.log.error({ err }, 'unhandled error while serving a WebSocket message');
    });
  }

  private async run(payload: ServablePayload, requests: number): Promise<void> {
    let results: ItemResult[];
    try {
      const items = itemsOf(payload);
      const charged = await this.route.charge(itemMethods(items));
      results = await Promise.all(
        items.map((item, i) => {
          const refusal = charged?.refusals[i];
          return refusal !== undefined && item.kind === 'request'
            ? { text: respond(item.request, item.rawId, refusal.toResponse(item.request.id ?? null)) }
            : this.runItem(item);
        }),
      );
    } finally {
      this.inFlight -= requests;
    }
    this.reply(payload, results);
    this.admitWaiting();
  }

  /** Starts waiting messages as answers free room, and reads again once nothing waits. */
  private admitWaiting(): void {
    if (this.closing !== undefined) return;
    const max = this.limits.maxInFlightPerConnection;
    while (this.waiting.length > 0) {
      const next = this.waiting[0] as (typeof this.waiting)[number];
      if (this.inFlight + next.requests > max) return;
      this.waiting.shift();
      this.waitingBytes -= next.bytes;
      this.start(next.payload, next.requests);
    }
    if (this.inFlight < max && this.socket.isPaused) this.socket.resume();
  }

  private dropWaiting(): void {
    this.waiting.length = 0;
    this.waitingBytes = 0;
  }

  private refuse(payload: ServablePayload, err: RpcError): void {
    this.countLimit('in_flight');
    this.reply(
      payload,
      itemsOf(payload).map((item) => ({ text: item.kind === 'invalid' ? this.invalidText(item) : respond(item.request, item.rawId, err.toResponse(item.request.id ?? null)) })),
    );
  }

  private reply(payload: ServablePayload, results: ItemResult[]): void {
    const parts: Buffer[][] = [];
    for (const r of results) {
      if (r.bytes !== undefined) parts.push(r.bytes);
      else if (r.text !== undefined) parts.push([Buffer.from(r.text)]);
    }
    const body = payload.kind === 'single' ? parts[0] : parts.length > 0 ? splicedBatch(parts) : undefined;
    if (body !== undefined) this.sendFrame(messageFrame(body));
    for (const r of results) r.afterSend?.();
  }

  private invalidText(item: Extract<ParsedItem, { kind: 'invalid' }>): string {
    this.deps.metrics.invalidRequests.inc({ transport: 'ws', code: String(item.response.error.code), reason: 'invalid_request' });
    return serializeResponse(item.response, item.rawId);
  }

  private async runItem(item: ParsedItem): Promise<ItemResult> {
    if (item.kind === 'invalid') return { text: this.invalidText(item) };
    const { request } = item;
    if (methodPolicy(request.method, { transport: 'ws' }).subscription) {
      return request.method === 'eth_subscribe' ? this.subscribe(request, item.rawId) : this.unsubscribe(request, item.rawId);
    }
    const { chain, strategy, pinnedProviderId, client } = this.route;
    const result = await handlePayload(
      chain,
      { kind: 'single', item },
      { strategy, pinnedProviderId, deadline: chain.now() + this.limits.requestTimeoutMs, client },
      'ws',
      this.deps,
    );
    return { text: undefined, bytes: result.body };
  }

  // --- subscriptions -----------------------------------------------------------------------------

  private async subscribe(request: JsonRpcRequest, rawId: string | undefined): Promise<ItemResult> {
    const id = request.id ?? null;
    const params = request.params;
    const fail = (error: RpcError): ItemResult => {
      this.countRequest(request.method, 'rpc_error');
      return { text: respond(request, rawId, error.toResponse(id)) };
    };
    if (!Array.isArray(params) || typeof params[0] !== 'string') {
      return fail(
        new RpcError(RpcErrorCode.InvalidParams, 'eth_subscribe expects params [kind, ...options]: ["newHeads"], ["logs", {"address": ..., "topics": [...]}] or ["newPendingTransactions"]'),
      );
    }
    const service = this.route.subscriptions;
    if (!service) return fail(new RpcError(RpcErrorCode.MethodNotFound, `eth_subscribe: subscriptions are not available on chain ${this.route.chain.name}`));
    if (this.subs.size >= this.limits.maxSubscriptionsPerConnection) {
      this.countLimit('subscriptions');
      return fail(
        limitError(
          'maxSubscriptionsPerConnection',
          this.limits.maxSubscriptionsPerConnection,
          `too many subscriptions on this connection (limit ${this.limits.maxSubscriptionsPerConnection}); eth_unsubscribe some or open another connection`,
        ),
      );
    }
    // The client left while this message was being handled: nothing to answer, nothing to hold.
    if (this.closing !== undefined) return { text: undefined };
    const kind = params[0];
    const entry = this.subs.reserve(kind);
    let handle;
    try {
      handle = await service.subscribe(kind, params.slice(1), entry.sink);
    } catch (err) {
      this.subs.release(entry);
      if (err instanceof RpcError) return fail(err);
      this.log.error({ err }, 'subscription engine failed to subscribe');
      return fail(internalError('eth_subscribe failed inside Lasso'));
    }
    const attached = this.subs.attach(entry, handle);
    if (attached === 'connection_closed') return { text: undefined };
    if (attached === 'ended') return fail(entry.endError ?? internalError('subscription ended'));
    this.countRequest(request.method, 'success');
    const response: JsonRpcResponse = { jsonrpc: '2.0', id, result: handle.id };
    return { text: respond(request, rawId, response), afterSend: () => this.subs.goLive(entry) };
  }

  private unsubscribe(request: JsonRpcRequest, rawId: string | undefined): ItemResult {
    const id = request.id ?? null;
    const params = request.params;
    if (!Array.isArray(params) || typeof params[0] !== 'string') {
      this.countRequest(request.method, 'rpc_error');
      return { text: respond(request, rawId, new RpcError(RpcErrorCode.InvalidParams, 'eth_unsubscribe expects params [subscriptionId]').toResponse(id)) };
    }
    // An unknown id answers false (not an error), so that a repeated unsubscribe is harmless.
    const removed = this.subs.remove(params[0]);
    this.countRequest(request.method, 'success');
    return { text: respond(request, rawId, { jsonrpc: '2.0', id, result: removed }) };
  }

  private onSubscriptionEnded(subId: string, error: RpcError): void {
    // Closing the connection is the one signal every client acts on (viem reconnects and
    // resubscribes); an error shape inside eth_subscription would crash some clients' handlers.
    const notice = new RpcError(error.code, `subscription ${subId} ended: ${error.message}`, { subscription: subId, ...(error.data === undefined ? {} : { cause: error.data }) });
    this.closeWithNotice('subscription_ended', WsCloseCode.InternalError, notice);
  }

  // --- output ------------------------------------------------------------------------------------

  /**
   * Writes one message unless the client is too slow: when the bytes already waiting for it plus
   * this message would pass maxBufferedBytes, nothing more is written except the final notice, and
   * the connection closes. A single message larger than the limit still goes out on an empty buffer.
   */
  private send(text: string): boolean {
    return this.sendFrame(textFrame(text));
  }

  private sendFrame(frame: readonly Buffer[]): boolean {
    if (this.closing !== undefined || this.socket.readyState !== WebSocket.OPEN) return false;
    let bytes = 0;
    for (const part of frame) bytes += part.length;
    const backlog = this.backlog();
    if (backlog > 0 && backlog + bytes > this.limits.maxBufferedBytes) {
      this.closeSlow(backlog + bytes);
      return false;
    }
    this.output.queue(frame);
    return true;
  }

  /** Bytes written but not yet taken by the client, queued for this turn's write, and held for pending subscriptions. */
  private backlog(): number {
    return this.socket.bufferedAmount + this.output.pendingBytes + this.queuedBytes;
  }

  private reserveQueued(bytes: number): boolean {
    this.queuedBytes += bytes;
    if (bytes <= 0) return true;
    const backlog = this.backlog();
    if (backlog > this.limits.maxBufferedBytes) {
      this.closeSlow(backlog);
      return false;
    }
    return true;
  }

  private closeSlow(bytes: number): void {
    if (this.closing !== undefined) return;
    const chain = this.route.chain.name;
    this.deps.wsMetrics.slowClientDisconnects.inc({ chain });
    this.countLimit('send_buffer');
    const ids = this.subs.ids();
    this.log.warn({ bufferedBytes: bytes, limit: this.limits.maxBufferedBytes, subscriptions: ids.length }, 'slow client: closing');
    const notice = limitError(
      'maxBufferedBytes',
      this.limits.maxBufferedBytes,
      `client too slow: ${bytes} bytes waiting to be sent exceed the limit of ${this.limits.maxBufferedBytes}; closing (everything before this notice was complete and in order)`,
      { subscriptions: ids },
    );
    this.closeWithNotice('slow_client', WsCloseCode.PolicyViolation, notice);
  }

  /**
   * The front ends the connection itself: subscriptions are released at once, the notice and the
   * close frame are queued behind whatever the client has not read yet, and the socket is destroyed
   * if the client does not finish the close handshake within closeGraceMs.
   */
  private closeWithNotice(reason: WsDisconnectReason, code: number, notice: RpcError): void {
    if (this.closing !== undefined) return;
    this.beginClose(reason);
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.output.queue(textFrame(noticeText(notice)));
    this.output.flush();
    this.socket.close(code, closeReason(notice.message));
  }

  private beginClose(reason: WsDisconnectReason): void {
    this.closing = reason;
    this.subs.clear();
    this.dropWaiting();
    this.closeTimer = setTimeout(() => this.socket.terminate(), this.limits.closeGraceMs);
    this.closeTimer.unref();
  }

  // --- lifecycle ---------------------------------------------------------------------------------

  private onSocketError(err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      // Above the hard cap: `ws` already sent close 1009 and stops reading.
      this.countLimit('message_size');
      this.closing ??= 'message_too_big';
    } else {
      this.closing ??= 'protocol_error';
    }
    this.log.debug({ err: err.message, code: err.code }, 'client WebSocket error');
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.subs.clear();
    this.dropWaiting();
    this.output.discard();
    const reason = this.closing ?? 'client_close';
    this.closing = reason;
    this.deps.wsMetrics.disconnects.inc({ chain: this.route.chain.name, reason });
    this.log.debug({ reason }, 'client WebSocket closed');
    this.onClosed(this);
  }

  private countLimit(limit: 'in_flight' | 'subscriptions' | 'message_size' | 'send_buffer'): void {
    this.deps.wsMetrics.limitRejections.inc({ chain: this.route.chain.name, limit });
  }

  private countRequest(method: string, outcome: 'success' | 'rpc_error'): void {
    this.deps.metrics.requests.bind(this.route.chain.name, metricMethodLabel(method), 'ws', outcome).inc();
  }
}

/** The serialized response, or undefined for a notification (no id: JSON-RPC sends nothing back). */
function respond(request: JsonRpcRequest, rawId: string | undefined, response: JsonRpcResponse): string | undefined {
  if (!('id' in request) || request.id === undefined) return undefined;
  return serializeResponse(response, rawId);
}

type ServablePayload = Exclude<ParsedPayload, { kind: 'error' }>;

function itemsOf(payload: ServablePayload): ParsedItem[] {
  return payload.kind === 'single' ? [payload.item] : payload.items;
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(['newHeads', 'logs', 'newPendingTransactions']);

/** Subscription kinds come from clients: bound the label set. */
function kindLabel(kind: string): string {
  return KNOWN_KINDS.has(kind) ? kind : 'other';
}
