import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Pool } from 'undici';
import { createPrng, type Prng } from '../prng.js';
import { urlAuthority } from '../../server/listen.js';
import { FaultProxyError } from './errors.js';
import { HttpSide } from './http-side.js';
import { HungRegistry } from './hung-registry.js';
import { RuleBook, type ActiveRule } from './plan.js';
import { parseFaultRules, type FaultRule, type WsDropFault } from './rules.js';
import { Counters, type FaultProxyStats } from './stats.js';
import { Timers } from './timers.js';
import { upstreamHead } from './upstream-head.js';
import { WsSide } from './ws-side.js';

export interface FaultProxyOptions {
  /** The upstream this proxy stands in front of. Its path and query are used for every request. */
  target: {
    /** JSON-RPC HTTP endpoint, e.g. `http://127.0.0.1:8545`. */
    httpUrl: string;
    /** WebSocket endpoint; omit to not proxy WS (upgrades then get 404). */
    wsUrl?: string;
  };
  /** Listen address. @default '127.0.0.1' */
  host?: string;
  /** Listen port; 0 picks a free one, kept for the proxy's life (also across `refuse`). @default 0 */
  port?: number;
  /** Seed of the PRNG behind every probability and jitter. @default random, exposed as `proxy.seed` */
  seed?: number;
  /** Name used by the control endpoint and in error messages. @default `proxy-<port>` */
  name?: string;
  /** Most connections the proxy opens to the target. @default 64 */
  upstreamConnections?: number;
}

/** A rule installed on a proxy. */
export interface FaultHandle {
  readonly id: string;
  readonly rule: Readonly<FaultRule>;
  /** How many times this rule fired so far. */
  readonly applied: number;
  /** False once removed (by `remove`, `setFaults`, `clearFaults` or `close`). */
  readonly active: boolean;
  /** Removes the rule; no-op when already removed. */
  remove(): void;
}

/** A rule as listed by {@link FaultProxy.faults}. */
export interface InstalledFault {
  id: string;
  rule: FaultRule;
  applied: number;
}

/** How often the proxy retries listening on its port after a `refuse` ends, if the port is briefly busy. */
const RELISTEN_ATTEMPTS = 20;
const RELISTEN_BACKOFF_MS = 50;

/**
 * A toxiproxy-like fault injector placed between Lasso (or any JSON-RPC client) and one upstream
 * node. HTTP is proxied through a keep-alive undici pool, WS through one upstream WS per client
 * WS; installed {@link FaultRule}s decide, per request or message, what goes wrong.
 *
 * ```ts
 * const proxy = await FaultProxy.start({ target: { httpUrl: node.httpUrl, wsUrl: node.wsUrl }, seed: 1 });
 * const slow = proxy.addFault({ type: 'latency', ms: 200, methods: ['eth_call'] });
 * proxy.addFault({ type: 'rpc_error', code: -32603, probability: 0.1 });
 * slow.remove();
 * proxy.setFaults([{ type: 'refuse' }]); await proxy.settled(); // provider down
 * proxy.clearFaults(); await proxy.settled();                     // back, same port
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** Seed of this proxy's PRNG: pass it back as `seed` to replay the same fault sequence. */
  readonly seed: number;

  private readonly book: RuleBook;
  private readonly counters = new Counters();
  private readonly timers = new Timers();
  private readonly hung = new HungRegistry();
  private readonly sockets = new Set<Socket>();
  private readonly ws: WsSide;
  private nextRuleId = 1;
  private listening = true;
  private listenPending = false;
  private transition: Promise<void> = Promise.resolve();
  private listenError: FaultProxyError | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly pool: Pool,
    prng: Prng,
    opts: FaultProxyOptions,
    host: string,
    port: number,
    targetPath: string,
  ) {
    this.host = host;
    this.port = port;
    this.name = opts.name ?? `proxy-${port}`;
    this.seed = prng.seed;
    const authority = urlAuthority(host, port);
    this.httpUrl = `http://${authority}`;
    this.wsUrl = `ws://${authority}`;
    this.book = new RuleBook(prng, (active) => this.counters.countFault(active.rule.type));
    const head = (): Promise<number | undefined> => upstreamHead(pool, targetPath);
    const http = new HttpSide({
      rules: this.book,
      pool,
      targetPath,
      head,
      timers: this.timers,
      counters: this.counters,
      hung: this.hung,
    });
    this.ws = new WsSide({ rules: this.book, targetWsUrl: opts.target.wsUrl, head, timers: this.timers, counters: this.counters });
    server.on('request', (req, res) => http.handle(req, res));
    server.on('upgrade', (req, socket, head) => this.ws.handleUpgrade(req, socket, head));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts a proxy and resolves once it listens. */
  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    let target: URL;
    try {
      target = new URL(opts.target.httpUrl);
    } catch (err) {
      // The URL may carry an API key: do not echo it.
      throw new FaultProxyError('target.httpUrl is not a valid URL', err);
    }
    if (opts.target.wsUrl !== undefined && !/^wss?:\/\//.test(opts.target.wsUrl)) {
      throw new FaultProxyError('target.wsUrl must start with ws:// or wss://');
    }
    const host = opts.host ?? '127.0.0.1';
    const server = createServer();
    await listenOn(server, opts.port ?? 0, host);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new FaultProxyError('proxy did not get a TCP port');
    const pool = new Pool(target.origin, {
      connections: opts.upstreamConnections ?? 64,
      keepAliveTimeout: 10_000,
    });
    return new FaultProxy(server, pool, createPrng(opts.seed), opts, host, address.port, target.pathname + target.search);
  }

  /** Replaces every installed rule (validated first: on error nothing changes). */
  setFaults(rules: FaultRule[]): FaultHandle[] {
    const parsed = parseFaultRules(rules);
    this.assertOpen();
    const fresh = parsed.map((rule) => this.activate(rule));
    this.install(fresh);
    return fresh.map((active) => this.handle(active));
  }

  /** Adds one rule after the installed ones (rule order matters: see {@link RuleBook}). */
  addFault(rule: FaultRule): FaultHandle {
    const [parsed] = parseFaultRules([rule]);
    this.assertOpen();
    const active = this.activate(parsed!);
    this.install([...this.book.rules, active]);
    return this.handle(active);
  }

  /** Removes one rule by id; false when it was not installed. */
  removeFault(id: string): boolean {
    const rules = this.book.rules.filter((r) => r.id !== id);
    if (rules.length === this.book.rules.length) return false;
    this.install(rules);
    return true;
  }

  /** Removes every rule: hung requests are dropped, a refused port listens again (see {@link settled}). */
  clearFaults(): void {
    this.install([]);
  }

  /** The installed rules, in evaluation order. */
  faults(): InstalledFault[] {
    return this.book.rules.map((r) => ({ id: r.id, rule: structuredClone(r.rule), applied: r.applied }));
  }

  stats(): FaultProxyStats {
    const c = this.counters;
    return {
      httpRequests: c.httpRequests,
      wsConnections: c.wsConnections,
      wsOpenConnections: this.ws.openConnections,
      wsMessages: c.wsMessagesFromClients + c.wsMessagesToClients,
      wsMessagesFromClients: c.wsMessagesFromClients,
      wsMessagesToClients: c.wsMessagesToClients,
      faultsApplied: { ...c.faultsApplied },
      hungRequests: this.hung.size,
      listening: this.listening,
    };
  }

  /**
   * Resolves when the listener matches the installed rules: after a `refuse` is removed, the
   * port accepts connections again once this resolves. Rejects with {@link FaultProxyError}
   * if the port could not be taken back.
   */
  async settled(): Promise<void> {
    for (;;) {
      const current = this.transition;
      await current;
      if (current === this.transition) break;
    }
    if (this.listenError) throw this.listenError;
  }

  /** Stops listening, drops every connection (hung ones included) and closes the upstream pool. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.book.replace([]);
    this.hung.releaseAll();
    this.timers.dispose();
    this.reconcileListener();
    this.ws.close();
    await this.settled().catch(() => undefined);
    await this.pool.destroy().catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new FaultProxyError(`fault proxy ${this.name} is closed`);
  }

  private activate(rule: FaultRule): ActiveRule {
    return { id: String(this.nextRuleId++), rule, applied: 0 };
  }

  private install(rules: ActiveRule[]): void {
    const before = new Set(this.book.rules.map((r) => r.id));
    this.book.replace(rules);
    this.hung.releaseExcept(new Set(rules.map((r) => r.id)));
    const newDrop = rules.find((r) => r.rule.type === 'ws_drop' && !before.has(r.id));
    if (newDrop) this.ws.dropAll((newDrop.rule as WsDropFault).closeCode);
    this.reconcileListener();
  }

  private handle(active: ActiveRule): FaultHandle {
    const proxy = this;
    return {
      id: active.id,
      rule: active.rule,
      get applied() {
        return active.applied;
      },
      get active() {
        return proxy.book.rules.includes(active);
      },
      remove: () => void proxy.removeFault(active.id),
    };
  }

  /**
   * Makes the listener follow the rules. Closing is synchronous (a request sent right after
   * `addFault({ type: 'refuse' })` is refused); listening again is asynchronous and serialised
   * behind any close in progress (see {@link settled}).
   */
  private reconcileListener(): void {
    const want = !this.closed && !this.book.has('refuse');
    if (!want && this.listening) {
      this.stopListening();
      return;
    }
    if (want && !this.listening && !this.listenPending) {
      this.listenPending = true;
      this.listenError = undefined;
      this.transition = this.transition
        .then(async () => {
          try {
            if (!this.closed && !this.book.has('refuse')) {
              await listenOn(this.server, this.port, this.host, RELISTEN_ATTEMPTS);
              this.listening = true;
            }
          } finally {
            this.listenPending = false;
          }
          // Rules may have changed while we were binding.
          this.reconcileListener();
        })
        .catch((err: unknown) => {
          this.listenError = new FaultProxyError(`fault proxy ${this.name} could not listen again on port ${this.port}`, err);
        });
    }
  }

  private stopListening(): void {
    this.listening = false;
    if (!this.closed) this.book.recordStateFault('refuse');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.ws.closeAll();
    this.transition = this.transition.then(() => closed);
  }
}

async function listenOn(server: Server, port: number, host: string, attempts = 1): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve();
        });
      });
      return;
    } catch (err) {
      const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!busy || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, RELISTEN_BACKOFF_MS));
    }
  }
}
