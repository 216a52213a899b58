import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import { redactUrl, redactUrlsInText } from '../config/redact.js';
import { ResultBytes } from '../jsonrpc/result-bytes.js';
import { silentLogger } from '../observability/component-logger.js';
import type { ComponentLogger } from '../observability/component-logger.js';
import { backoffMs } from '../resilience/backoff.js';
import type { BreakerPermit, CircuitBreaker } from '../resilience/circuit-breaker.js';
import { breakerVerdict, classifyOutcome } from '../resilience/classify.js';
import { isErrorObject, resultOutcome } from './outcome.js';
import type { AttemptOutcome } from './outcome.js';
import { errorMessage } from '../error-message.js';

/**
 * Where one upstream WebSocket channel stands:
 * - `idle`: never started (connections are opened on first use);
 * - `connecting`: handshake in progress;
 * - `open`: usable;
 * - `backoff`: lost or failed, waiting before the next connect attempt;
 * - `closed`: stopped for good by `close()`.
 */
export type WsChannelState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

export interface WsStateChange {
  from: WsChannelState;
  to: WsChannelState;
  /** Short tag from a fixed vocabulary (`connected`, `connect_failed`, `closed_by_peer`, `heartbeat_timeout`, ...). */
  reason: string;
}

export interface WsUpstreamOptions {
  /** ws:// or wss:// endpoint. Secret: it is only ever logged through redactUrl. */
  url: string;
  /** Name used in logs and errors instead of the URL (the provider id). */
  name: string;
  /** Deadline for the WebSocket handshake. @default 5_000 */
  connectTimeoutMs?: number;
  /** Default per-request timeout when `request` is not given one. @default 10_000 */
  requestTimeoutMs?: number;
  /** Interval between ws pings on an open connection; 0 disables heartbeats. @default 10_000 */
  heartbeatIntervalMs?: number;
  /** A ping not answered by a pong within this time means the connection is dead. @default 5_000 */
  heartbeatTimeoutMs?: number;
  /** First reconnect delay; doubled after each failed attempt. @default 500 */
  reconnectBaseMs?: number;
  /** Cap of the reconnect delay. @default 30_000 */
  reconnectMaxMs?: number;
  /** Relative jitter on each reconnect delay: 0.3 means ±30%. @default 0.3 */
  reconnectJitterRatio?: number;
  /** Largest accepted upstream message. @default 64 MiB */
  maxPayloadBytes?: number;
  /** Random source in [0, 1) for the reconnect jitter (seed it in tests). @default Math.random */
  random?: () => number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
  /**
   * Breaker of this ws channel. Fed with connect results, request outcomes (judged by the same
   * rules as HTTP attempts: an upstream -32603 counts, a revert or a rate limit does not) and pongs
   * (a pong is a successful probe); a lost connection or a missed pong opens it at once.
   */
  breaker?: CircuitBreaker;
  logger?: ComponentLogger;
}

/** Defaults of the tunable options (the config schema reuses them). */
export const WS_UPSTREAM_DEFAULTS = {
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  heartbeatIntervalMs: 10_000,
  heartbeatTimeoutMs: 5_000,
  reconnectBaseMs: 500,
  reconnectMaxMs: 30_000,
  reconnectJitterRatio: 0.3,
  maxPayloadBytes: 64 * 1024 * 1024,
} as const satisfies Partial<WsUpstreamOptions>;

/** Receives the notifications of one upstream subscription. Called synchronously, in arrival order. */
export interface UpstreamSubscriptionListener {
  onNotification(result: unknown): void;
  /** The subscription is gone: connection lost, channel closed, or unsubscribed by us. Called once. */
  onEnd(reason: string): void;
}

/** An `eth_subscribe` that succeeded on one upstream connection. Dies with that connection. */
export interface UpstreamSubscription {
  /** The upstream's own subscription id (never shown to clients). */
  readonly id: string;
  /** False once ended (connection lost or unsubscribed). */
  readonly active: boolean;
  /** Sends `eth_unsubscribe` (best effort) and ends the subscription locally right away. */
  unsubscribe(): Promise<void>;
}

export type SubscribeResult = { ok: true; subscription: UpstreamSubscription } | { ok: false; outcome: AttemptOutcome };

/** Plain-data view for /api/providers. */
export interface WsUpstreamSnapshot {
  state: WsChannelState;
  /** When the current connection opened (ms since epoch); undefined unless open. */
  connectedSince: number | undefined;
  /** Successful connects after the first one. */
  reconnects: number;
  /** Failed connect attempts since the last successful one. */
  consecutiveFailures: number;
  /** Why the connection was last lost or refused (never contains the URL). */
  lastError: string | undefined;
  /** EWMA of ping round-trip times, in ms; undefined until the first pong. */
  rttMs: number | undefined;
  /** Requests waiting for a response. */
  pendingRequests: number;
  /** Live upstream subscriptions on this connection. */
  subscriptions: number;
}

interface PendingRequest {
  method: string;
  resolve(outcome: AttemptOutcome): void;
  timer: NodeJS.Timeout;
  /** Runs synchronously when the result arrives, before any later message is handled. */
  onResult?: (result: unknown) => void;
}

interface SubscriptionEntry extends UpstreamSubscription {
  listener: UpstreamSubscriptionListener;
  end(reason: string): void;
}


/** Outcome for a request that could not be written because no connection is open. */
const NOT_OPEN: AttemptOutcome = { type: 'network', code: 'WS_NOT_OPEN', neverSent: true };

/**
 * One upstream JSON-RPC WebSocket connection of one provider, kept open: request/response
 * correlation under Lasso's own ids, per-request timeouts, `eth_subscribe` / `eth_unsubscribe`
 * with notifications routed by upstream subscription id, ws-level heartbeats, and reconnects with
 * exponential backoff and jitter.
 *
 * Upstream subscriptions are not restored after a reconnect: they end (listener `onEnd`) with the
 * connection, and the subscription layer decides where to subscribe again. Like HttpUpstream,
 * `request` never throws for upstream problems; it describes them as an AttemptOutcome.
 */
export class WsUpstream extends EventEmitter<{ state: [WsStateChange] }> {
  readonly name: string;
  /** Safe to log and to show in /api/providers. */
  readonly displayUrl: string;

  private readonly url: string;
  private readonly opts: Required<Omit<WsUpstreamOptions, 'breaker' | 'logger' | 'url' | 'name'>>;
  private readonly breaker: CircuitBreaker | undefined;
  private readonly log: ComponentLogger;

  private socket: WebSocket | undefined;
  private currentState: WsChannelState = 'idle';
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly subscriptions = new Map<string, SubscriptionEntry>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pongDeadline: NodeJS.Timeout | undefined;
  private pingSentAt: number | undefined;
  private failures = 0;
  private opens = 0;
  private connectedSince: number | undefined;
  private lastError: string | undefined;
  private rtt: number | undefined;
  private readonly openWaiters = new Set<() => void>();
  /** Set just before we terminate a socket ourselves, so the close handler reports why. */
  private closeReason: string | undefined;
  /** Ids of eth_subscribe requests that timed out: a late success is unsubscribed again, not leaked. */
  private readonly lateSubscribes = new Set<number>();

  constructor(options: WsUpstreamOptions) {
    super();
    this.url = options.url;
    this.name = options.name;
    this.displayUrl = redactUrl(options.url);
    const d = WS_UPSTREAM_DEFAULTS;
    this.opts = {
      connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? d.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? d.heartbeatTimeoutMs,
      reconnectBaseMs: options.reconnectBaseMs ?? d.reconnectBaseMs,
      reconnectMaxMs: options.reconnectMaxMs ?? d.reconnectMaxMs,
      reconnectJitterRatio: options.reconnectJitterRatio ?? d.reconnectJitterRatio,
      maxPayloadBytes: options.maxPayloadBytes ?? d.maxPayloadBytes,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    };
    if (!(this.opts.reconnectJitterRatio >= 0 && this.opts.reconnectJitterRatio < 1)) throw new RangeError('reconnectJitterRatio must be in [0, 1)');
    this.breaker = options.breaker;
    this.log = options.logger ?? silentLogger;
  }

  get state(): WsChannelState {
    return this.currentState;
  }

  get isOpen(): boolean {
    return this.currentState === 'open';
  }

  /** EWMA of ping round trips in ms (undefined until measured). */
  get rttMs(): number | undefined {
    return this.rtt;
  }

  /** Starts connecting (idempotent); from then on the channel reconnects by itself until `close()`. */
  start(): void {
    if (this.currentState !== 'idle') return;
    this.connect();
  }

  /** Resolves true once open, false if not open within `timeoutMs` (or closed). Starts the channel if idle. */
  waitOpen(timeoutMs: number): Promise<boolean> {
    this.start();
    if (this.currentState === 'open') return Promise.resolve(true);
    if (this.currentState === 'closed') return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.openWaiters.delete(done);
        resolve(this.currentState === 'open');
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.openWaiters.add(done);
    });
  }

  /**
   * Resolves once the channel is no longer connecting (open, backing off after a failure, or
   * closed), or after `timeoutMs`. Starts the channel if idle. Returns whether it is open.
   */
  waitSettled(timeoutMs: number): Promise<boolean> {
    this.start();
    if (this.currentState !== 'connecting') return Promise.resolve(this.currentState === 'open');
    return new Promise((resolve) => {
      const onState = (): void => {
        if (this.currentState === 'connecting') return;
        finish();
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.off('state', onState);
        resolve(this.currentState === 'open');
      };
      const timer = setTimeout(finish, timeoutMs);
      timer.unref();
      this.on('state', onState);
    });
  }

  /** Sends one JSON-RPC request on the open connection and waits for its response. Never throws. */
  request(method: string, params: unknown[] = [], options: { timeoutMs?: number } = {}): Promise<AttemptOutcome> {
    return this.send(method, params, options.timeoutMs ?? this.opts.requestTimeoutMs, undefined);
  }

  /**
   * `eth_subscribe(kind, ...params)`. The listener is registered synchronously when the response
   * arrives, so no notification that follows it on the wire is missed.
   */
  async subscribe(
    kind: string,
    params: readonly unknown[],
    listener: UpstreamSubscriptionListener,
    options: { timeoutMs?: number } = {},
  ): Promise<SubscribeResult> {
    let subscription: SubscriptionEntry | undefined;
    const socket = this.socket;
    const outcome = await this.send('eth_subscribe', [kind, ...params], options.timeoutMs ?? this.opts.requestTimeoutMs, (result) => {
      if (typeof result !== 'string' || this.socket !== socket || this.currentState !== 'open') return;
      subscription = this.registerSubscription(result, listener);
    });
    if (outcome.type !== 'result') return { ok: false, outcome };
    if (subscription === undefined) {
      // A result that is not a subscription id, or the connection died in between.
      return { ok: false, outcome: typeof outcome.result === 'string' ? NOT_OPEN : { type: 'bad_response', reason: 'not_jsonrpc' } };
    }
    return { ok: true, subscription };
  }

  /** Stops reconnecting, fails pending requests (cancelled), ends subscriptions and closes the socket. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.teardown('channel_closed', { type: 'cancelled' });
    this.setState('closed', 'closed_by_lasso');
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.terminate();
          resolve();
        }, 1_000);
        timer.unref();
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        try {
          socket.close(1000);
        } catch {
          socket.terminate();
        }
      });
    }
  }

  snapshot(): WsUpstreamSnapshot {
    return {
      state: this.currentState,
      connectedSince: this.connectedSince,
      reconnects: Math.max(0, this.opens - 1),
      consecutiveFailures: this.failures,
      lastError: this.lastError,
      rttMs: this.rtt === undefined ? undefined : Math.round(this.rtt * 100) / 100,
      pendingRequests: this.pending.size,
      subscriptions: this.subscriptions.size,
    };
  }

  // --- connection ----------------------------------------------------------------------------

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.currentState === 'closed') return;
    this.setState('connecting', this.opens === 0 && this.failures === 0 ? 'start' : 'reconnect');
    const permit = this.breaker?.tryAcquire() ?? null;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url, {
        handshakeTimeout: this.opts.connectTimeoutMs,
        perMessageDeflate: false,
        maxPayload: this.opts.maxPayloadBytes,
      });
    } catch (err) {
      if (permit) this.breaker?.recordFailure(permit, 'network');
      this.lastError = describeError(err);
      this.scheduleReconnect('connect_failed');
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.on('open', () => {
      if (this.socket !== socket) return;
      opened = true;
      if (permit) this.breaker?.recordSuccess(permit);
      this.failures = 0;
      this.opens++;
      this.connectedSince = this.opts.now();
      this.lastError = undefined;
      this.setState('open', 'connected');
      this.log.info({ provider: this.name, endpoint: this.displayUrl, reconnects: this.opens - 1 }, 'upstream ws connected');
      this.startHeartbeat();
      for (const waiter of [...this.openWaiters]) waiter();
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (this.socket === socket && !isBinary) this.onMessage(data);
    });
    socket.on('pong', () => {
      if (this.socket === socket) this.onPong();
    });
    socket.on('error', (err: Error) => {
      if (this.socket === socket) this.lastError = describeError(err);
    });
    socket.on('close', (code: number) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.currentState === 'closed') return;
      if (opened) {
        const reason = this.closeReason ?? 'closed_by_peer';
        this.closeReason = undefined;
        this.lastError ??= `connection closed (code ${code})`;
        // A dropped connection is a down channel until it proves otherwise.
        this.breaker?.forceOpen(reason === 'heartbeat_timeout' ? 'heartbeat_timeout' : 'ws_closed');
        this.log.info({ provider: this.name, reason, code, err: this.lastError }, 'upstream ws lost');
        this.teardown(reason, { type: 'network', code: 'WS_CLOSED', neverSent: false });
        this.scheduleReconnect(reason);
      } else {
        if (permit) this.breaker?.recordFailure(permit, 'network');
        this.log.debug({ provider: this.name, err: this.lastError }, 'upstream ws connect failed');
        this.teardown('connect_failed', NOT_OPEN);
        this.scheduleReconnect('connect_failed');
      }
    });
  }

  private scheduleReconnect(reason: string): void {
    if (this.currentState === 'closed') return;
    this.connectedSince = undefined;
    const delay = backoffMs(this.failures++, {
      baseMs: this.opts.reconnectBaseMs,
      maxMs: this.opts.reconnectMaxMs,
      jitterRatio: this.opts.reconnectJitterRatio,
      random: this.opts.random,
    });
    this.setState('backoff', reason);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const interval = this.opts.heartbeatIntervalMs;
    if (interval <= 0) return;
    this.heartbeatTimer = setInterval(() => this.ping(), interval);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.pongDeadline) clearTimeout(this.pongDeadline);
    this.heartbeatTimer = undefined;
    this.pongDeadline = undefined;
    this.pingSentAt = undefined;
  }

  private ping(): void {
    const socket = this.socket;
    if (!socket || this.currentState !== 'open' || this.pongDeadline) return;
    this.pingSentAt = performance.now();
    try {
      socket.ping();
    } catch {
      return; // the close handler deals with a dying socket
    }
    this.pongDeadline = setTimeout(() => {
      this.pongDeadline = undefined;
      if (this.socket !== socket) return;
      this.lastError = `no pong within ${this.opts.heartbeatTimeoutMs} ms`;
      this.closeReason = 'heartbeat_timeout';
      socket.terminate();
    }, this.opts.heartbeatTimeoutMs);
    this.pongDeadline.unref();
  }

  private onPong(): void {
    if (this.pongDeadline) clearTimeout(this.pongDeadline);
    this.pongDeadline = undefined;
    if (this.pingSentAt !== undefined) {
      const sample = performance.now() - this.pingSentAt;
      this.rtt = this.rtt === undefined ? sample : this.rtt * 0.8 + sample * 0.2;
      this.pingSentAt = undefined;
    }
    // A pong is a cheap successful probe: it lets a half-open ws breaker close again.
    const permit = this.breaker?.tryAcquire();
    if (permit) this.breaker?.recordSuccess(permit);
  }

  /** Fails pending requests and ends subscriptions of the connection that just went away. */
  private teardown(reason: string, outcome: AttemptOutcome): void {
    this.stopHeartbeat();
    this.lateSubscribes.clear(); // their subscriptions died with the connection
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.resolve(outcome);
    }
    const subs = [...this.subscriptions.values()];
    this.subscriptions.clear();
    for (const s of subs) s.end(reason);
  }

  private setState(to: WsChannelState, reason: string): void {
    const from = this.currentState;
    if (from === to) return;
    this.currentState = to;
    this.emit('state', { from, to, reason });
    if (to === 'closed') for (const waiter of [...this.openWaiters]) waiter();
  }

  // --- messages ------------------------------------------------------------------------------

  private send(method: string, params: unknown[], timeoutMs: number, onResult: ((result: unknown) => void) | undefined): Promise<AttemptOutcome> {
    const socket = this.socket;
    if (!socket || this.currentState !== 'open' || socket.readyState !== WebSocket.OPEN) return Promise.resolve(NOT_OPEN);
    const id = this.nextId++;
    const permit = this.breaker?.tryAcquire() ?? null;
    return new Promise<AttemptOutcome>((resolve) => {
      const settle = (outcome: AttemptOutcome): void => {
        if (permit && this.breaker) settleBreaker(this.breaker, permit, outcome, method);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        if (method === 'eth_subscribe') this.lateSubscribes.add(id);
        settle({ type: 'timeout', afterMs: timeoutMs });
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { method, resolve: settle, timer, ...(onResult && { onResult }) });
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }), (err) => {
        if (!err) return;
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        clearTimeout(entry.timer);
        settle({ type: 'network', code: 'WS_SEND_FAILED', neverSent: false });
      });
    });
  }

  private onMessage(data: RawData): void {
    let message: unknown;
    try {
      message = JSON.parse(rawToString(data));
    } catch {
      this.log.debug({ provider: this.name }, 'upstream ws sent invalid JSON');
      return;
    }
    if (Array.isArray(message)) {
      for (const item of message) this.onSingle(item);
    } else {
      this.onSingle(message);
    }
  }

  private onSingle(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
    if (m.method === 'eth_subscription') {
      const params = m.params as { subscription?: unknown; result?: unknown } | undefined;
      if (typeof params?.subscription !== 'string') return;
      const sub = this.subscriptions.get(params.subscription);
      if (sub === undefined) return; // unsubscribed already, or never ours
      try {
        sub.listener.onNotification(params.result);
      } catch (err) {
        this.log.warn({ provider: this.name, err: describeError(err) }, 'subscription listener threw');
      }
      return;
    }
    if (typeof m.id !== 'number') return;
    const entry = this.pending.get(m.id);
    if (entry === undefined) {
      if (this.lateSubscribes.delete(m.id) && typeof m.result === 'string') {
        void this.send('eth_unsubscribe', [m.result], this.opts.requestTimeoutMs, undefined);
      }
      return;
    }
    this.pending.delete(m.id);
    clearTimeout(entry.timer);
    if (isErrorObject(m.error)) {
      entry.resolve({ type: 'rpc_error', error: m.error, httpStatus: 200 });
    } else if ('result' in m) {
      entry.onResult?.(m.result);
      entry.resolve(resultOutcome(ResultBytes.fromValue(m.result)));
    } else {
      entry.resolve({ type: 'bad_response', reason: 'not_jsonrpc' });
    }
  }

  private registerSubscription(id: string, listener: UpstreamSubscriptionListener): SubscriptionEntry {
    let ended = false;
    const entry: SubscriptionEntry = {
      id,
      listener,
      get active() {
        return !ended;
      },
      end: (reason: string) => {
        if (ended) return;
        ended = true;
        this.subscriptions.delete(id);
        try {
          listener.onEnd(reason);
        } catch (err) {
          this.log.warn({ provider: this.name, err: describeError(err) }, 'subscription end listener threw');
        }
      },
      unsubscribe: async () => {
        if (ended) return;
        entry.end('unsubscribed');
        if (this.currentState === 'open') await this.send('eth_unsubscribe', [id], this.opts.requestTimeoutMs, undefined);
      },
    };
    this.subscriptions.set(id, entry);
    return entry;
  }
}

/**
 * Settles a request's permit by the rules HTTP attempts follow (classifyOutcome, breakerVerdict),
 * so one upstream answer means the same to a channel's breaker whichever transport carried it.
 */
function settleBreaker(breaker: CircuitBreaker, permit: BreakerPermit, outcome: AttemptOutcome, method: string): void {
  // A lost connection opened the breaker already (forceOpen): its requests must not count twice.
  if (outcome.type === 'network') {
    breaker.release(permit);
    return;
  }
  const classification = classifyOutcome(outcome, method);
  switch (breakerVerdict(classification)) {
    case 'success':
      breaker.recordSuccess(permit);
      return;
    case 'failure':
      breaker.recordFailure(permit, classification?.breakerKind ?? 'other');
      return;
    case 'neutral':
      breaker.release(permit);
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** Error text safe to log: ws and Node errors can quote the URL. */
function describeError(err: unknown): string {
  return redactUrlsInText(errorMessage(err)).slice(0, 200);
}
