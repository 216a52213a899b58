import WebSocket from 'ws';
import type { RunClock } from './clock.js';

/** What a probe subscribes to. */
export type ProbeKind = 'newHeads' | 'logs';

export interface SubscriptionProbeOptions {
  /** WebSocket JSON-RPC endpoint, e.g. `ws://127.0.0.1:4000/ws/rpc/devnet`. */
  url: string;
  kind: ProbeKind;
  /** eth_subscribe filter for `logs` (address, topics). */
  filter?: Record<string, unknown>;
  /** Shown in reports. @default `${kind}-<n>` */
  name?: string;
  clock: RunClock;
  /**
   * Open a new connection and subscribe again when the socket closes. Off by default: Lasso's
   * promise is that a client never has to, so a close is a finding, not something to paper over.
   * @default false
   */
  reconnect?: boolean;
  /** Deadline for connecting and for the eth_subscribe answer, in ms. @default 5000 */
  timeoutMs?: number;
}

/** Everything a probe saw, in order. Times are run-clock ms. */
export type ProbeEvent =
  | { type: 'open'; tMs: number }
  | { type: 'subscribed'; tMs: number; subscriptionId: string }
  | { type: 'notification'; tMs: number; subscriptionId: string; result: unknown }
  | { type: 'subscribe-error'; tMs: number; code: number; message: string }
  | { type: 'close'; tMs: number; code: number; reason: string }
  | { type: 'error'; tMs: number; message: string };

/** A probe could not connect or subscribe. */
export class SubscriptionProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubscriptionProbeError';
  }
}

let probeCounter = 0;

/**
 * One WebSocket client with one subscription (`newHeads` or `logs`), recording every
 * notification with its arrival time so a checker can compare it with the ground truth.
 */
export class SubscriptionProbe {
  readonly name: string;
  readonly kind: ProbeKind;
  readonly events: ProbeEvent[] = [];
  private socket: WebSocket | undefined;
  private stopped = false;
  private nextId = 1;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: SubscriptionProbeOptions) {
    this.kind = options.kind;
    this.name = options.name ?? `${options.kind}-${++probeCounter}`;
  }

  /** Connects and subscribes; resolves with the subscription id. */
  async start(): Promise<string> {
    return this.connect();
  }

  /** Notification payloads (`params.result`) in arrival order. */
  notifications(): unknown[] {
    return this.events.flatMap((e) => (e.type === 'notification' ? [e.result] : []));
  }

  /** Every subscription id the probe was given (more than one only after a reconnect). */
  subscriptionIds(): string[] {
    return [...new Set(this.events.flatMap((e) => (e.type === 'subscribed' ? [e.subscriptionId] : [])))];
  }

  /** Ids that notifications arrived under (Lasso must keep the one it handed out). */
  notificationIds(): string[] {
    return [...new Set(this.events.flatMap((e) => (e.type === 'notification' ? [e.subscriptionId] : [])))];
  }

  /** Socket closes seen before `stop()`. */
  closes(): Extract<ProbeEvent, { type: 'close' }>[] {
    return this.events.filter((e): e is Extract<ProbeEvent, { type: 'close' }> => e.type === 'close');
  }

  /** Highest block number seen in a notification (header number, or a log's blockNumber). */
  highestBlock(): number | undefined {
    let best: number | undefined;
    for (const e of this.events) {
      if (e.type !== 'notification') continue;
      const n = blockNumberOf(e.result);
      if (n !== undefined && (best === undefined || n > best)) best = n;
    }
    return best;
  }

  /** Resolves when `predicate` holds (checked after each notification), rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new SubscriptionProbeError(`${this.name}: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(check);
    });
  }

  /** Closes the socket (no unsubscribe: closing is what most clients do). */
  async stop(): Promise<void> {
    this.stopped = true;
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1000);
    });
  }

  private connect(): Promise<string> {
    const { clock } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 5000;
    return new Promise<string>((resolve, reject) => {
      const socket = new WebSocket(this.options.url, { handshakeTimeout: timeoutMs });
      this.socket = socket;
      const subscribeId = this.nextId++;
      let settled = false;
      const fail = (message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.terminate();
        reject(new SubscriptionProbeError(`${this.name}: ${message}`));
      };
      const timer = setTimeout(() => fail(`no subscription within ${timeoutMs} ms`), timeoutMs);
      socket.on('open', () => {
        this.events.push({ type: 'open', tMs: clock.now() });
        const params: unknown[] = this.kind === 'logs' ? [this.kind, this.options.filter ?? {}] : [this.kind];
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: subscribeId, method: 'eth_subscribe', params }));
      });
      socket.on('message', (data) => {
        const tMs = clock.now();
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(data.toString()) as Record<string, unknown>;
        } catch {
          this.events.push({ type: 'error', tMs, message: 'non-JSON message' });
          return;
        }
        if (msg.method === 'eth_subscription') {
          const params = msg.params as { subscription?: unknown; result?: unknown } | undefined;
          this.events.push({ type: 'notification', tMs, subscriptionId: String(params?.subscription), result: params?.result });
          for (const listener of [...this.listeners]) listener();
          return;
        }
        if (msg.id === subscribeId) {
          if (typeof msg.result === 'string') {
            this.events.push({ type: 'subscribed', tMs, subscriptionId: msg.result });
            if (!settled) {
              settled = true;
              clearTimeout(timer);
              resolve(msg.result);
            }
          } else {
            const error = (msg.error ?? {}) as { code?: number; message?: string };
            this.events.push({ type: 'subscribe-error', tMs, code: error.code ?? 0, message: String(error.message ?? '') });
            fail(`eth_subscribe failed: ${error.code} ${error.message}`);
          }
        }
      });
      socket.on('error', (err) => {
        this.events.push({ type: 'error', tMs: clock.now(), message: err.message });
        fail(err.message);
      });
      socket.on('close', (code, reason) => {
        if (this.stopped) return;
        this.events.push({ type: 'close', tMs: clock.now(), code, reason: reason.toString() });
        fail(`closed with ${code}`);
        if (this.options.reconnect && settled) void this.connect().catch(() => undefined);
      });
    });
  }
}

function blockNumberOf(result: unknown): number | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as { number?: unknown; blockNumber?: unknown };
  const hex = typeof r.number === 'string' ? r.number : typeof r.blockNumber === 'string' ? r.blockNumber : undefined;
  return hex === undefined ? undefined : Number.parseInt(hex, 16);
}
