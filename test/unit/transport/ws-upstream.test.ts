/** WsUpstream against a scripted JSON-RPC WebSocket server on 127.0.0.1 (real sockets). */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { CircuitBreaker } from '../../../src/resilience/circuit-breaker.js';
import { WsUpstream } from '../../../src/transport/ws-upstream.js';
import type { WsStateChange, WsUpstreamOptions } from '../../../src/transport/ws-upstream.js';
import { waitFor } from '../../helpers/wait.js';

type Handler = (msg: { id: number; method: string; params: unknown[] }, socket: WebSocket) => void;

/** A scripted node: answers each request with `handler` (default: result = method name). */
class FakeNode {
  readonly received: { id: number; method: string; params: unknown[] }[] = [];
  readonly sockets = new Set<WebSocket>();
  handler: Handler = (msg, socket) => socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: msg.method }));
  connections = 0;

  private constructor(readonly wss: WebSocketServer) {
    wss.on('connection', (socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('message', (data) => {
        const msg = JSON.parse(data.toString());
        this.received.push(msg);
        this.handler(msg, socket);
      });
    });
  }

  static async start(options: { autoPong?: boolean; port?: number } = {}): Promise<FakeNode> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0, autoPong: options.autoPong ?? true });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new FakeNode(wss);
  }

  get port(): number {
    return (this.wss.address() as { port: number }).port;
  }

  url(path = ''): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  dropAll(): void {
    for (const s of this.sockets) s.terminate();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function node(options?: { autoPong?: boolean; port?: number }): Promise<FakeNode> {
  const n = await FakeNode.start(options);
  cleanups.push(() => n.close());
  return n;
}

function upstream(url: string, options: Partial<WsUpstreamOptions> = {}): WsUpstream {
  const ws = new WsUpstream({ url, name: 'p1', random: () => 0.5, reconnectBaseMs: 20, reconnectMaxMs: 200, heartbeatIntervalMs: 0, ...options });
  cleanups.push(() => ws.close());
  return ws;
}

describe('WsUpstream', () => {
  it('correlates responses by its own ids, in any order', async () => {
    const n = await node();
    const held: { id: number; socket: WebSocket }[] = [];
    n.handler = (msg, socket) => {
      held.push({ id: msg.id, socket });
      if (held.length === 3) for (const h of held.reverse()) h.socket.send(JSON.stringify({ jsonrpc: '2.0', id: h.id, result: `r${h.id}` }));
    };
    const ws = upstream(n.url());
    expect(await ws.waitOpen(2_000)).toBe(true);
    const results = await Promise.all([ws.request('a'), ws.request('b'), ws.request('c')]);
    expect(results.map((r) => r.type === 'result' && r.result)).toEqual(['r1', 'r2', 'r3']);
    expect(n.received.map((m) => m.id)).toEqual([1, 2, 3]);
  });

  it('times a request out, ignores its late answer, and counts timeouts against the breaker', async () => {
    const n = await node();
    n.handler = () => undefined; // never answers
    const breaker = new CircuitBreaker({ timeoutThreshold: 2 });
    const ws = upstream(n.url(), { breaker });
    await ws.waitOpen(2_000);
    expect(await ws.request('eth_blockNumber', [], { timeoutMs: 30 })).toEqual({ type: 'timeout', afterMs: 30 });
    expect(breaker.state).toBe('closed');
    await ws.request('eth_blockNumber', [], { timeoutMs: 30 });
    expect(breaker.state).toBe('open');
    expect(ws.snapshot().pendingRequests).toBe(0);
  });

  it('answers an error object as rpc_error, and a request without a connection as network/neverSent', async () => {
    const n = await node();
    n.handler = (msg, socket) => socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: 'bad' } }));
    const idle = upstream(n.url());
    expect(await idle.request('x')).toEqual({ type: 'network', code: 'WS_NOT_OPEN', neverSent: true });
    await idle.waitOpen(2_000);
    expect(await idle.request('x')).toMatchObject({ type: 'rpc_error', error: { code: -32602 } });
  });

  it('judges upstream answers by the HTTP rules: an upstream -32603 counts against the ws breaker, reverts and rate limits do not', async () => {
    const n = await node();
    let error = { code: -32005, message: 'daily request count exceeded, request rate limited' };
    n.handler = (msg, socket) => socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error }));
    const breaker = new CircuitBreaker({ otherThreshold: 3 });
    const ws = upstream(n.url(), { breaker });
    await ws.waitOpen(2_000);
    const listener = { onNotification: () => undefined, onEnd: () => undefined };
    for (let i = 0; i < 5; i++) expect(await ws.subscribe('newHeads', [], listener)).toMatchObject({ ok: false, outcome: { type: 'rpc_error' } });
    expect(breaker.state).toBe('closed'); // rate limited: no verdict on the channel's health

    error = { code: -32603, message: 'Internal error' };
    for (let i = 0; i < 2; i++) await ws.subscribe('newHeads', [], listener);
    error = { code: 3, message: 'execution reverted' };
    await ws.request('eth_call', [{}, 'latest']); // the node answered correctly: the failure streak ends
    error = { code: -32603, message: 'Internal error' };
    for (let i = 0; i < 2; i++) await ws.subscribe('newHeads', [], listener);
    expect(breaker.state).toBe('closed');
    await ws.subscribe('newHeads', [], listener);
    expect(breaker.state).toBe('open');
  });

  it('routes notifications by upstream subscription id, including one sent right after the subscribe answer', async () => {
    const n = await node();
    let next = 0;
    n.handler = (msg, socket) => {
      if (msg.method === 'eth_subscribe') {
        const sub = `0xsub${next++}`;
        // Answer and first notification in one go: the listener must already be registered.
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: sub }));
        socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: sub, result: `${msg.params[0]}-1` } }));
        socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: '0xunknown', result: 'stray' } }));
      } else {
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: true }));
      }
    };
    const ws = upstream(n.url());
    await ws.waitOpen(2_000);
    const heads: unknown[] = [];
    const logs: unknown[] = [];
    const a = await ws.subscribe('newHeads', [], { onNotification: (r) => heads.push(r), onEnd: () => undefined });
    const b = await ws.subscribe('logs', [{}], { onNotification: (r) => logs.push(r), onEnd: () => undefined });
    expect(a.ok && b.ok).toBe(true);
    await waitFor(() => heads.length === 1 && logs.length === 1, { timeoutMs: 1_000, what: 'notifications' });
    expect(heads).toEqual(['newHeads-1']);
    expect(logs).toEqual(['logs-1']);
    expect(ws.snapshot().subscriptions).toBe(2);
    if (a.ok) await a.subscription.unsubscribe();
    expect(n.received.at(-1)).toMatchObject({ method: 'eth_unsubscribe', params: ['0xsub0'] });
    expect(ws.snapshot().subscriptions).toBe(1);
  });

  it('a lost connection fails pending requests, ends subscriptions, opens the breaker and reconnects with backoff', async () => {
    const n = await node();
    n.handler = (msg, socket) => {
      if (msg.method === 'eth_subscribe') socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: '0xs' }));
      // anything else: no answer, so it is pending when the connection drops
    };
    const breaker = new CircuitBreaker({ recoveryMs: 10_000 });
    const states: WsStateChange[] = [];
    const ws = upstream(n.url(), { breaker });
    ws.on('state', (s) => states.push(s));
    await ws.waitOpen(2_000);
    const ends: string[] = [];
    const sub = await ws.subscribe('newHeads', [], { onNotification: () => undefined, onEnd: (r) => ends.push(r) });
    expect(sub.ok).toBe(true);
    const pending = ws.request('eth_call');
    n.dropAll();
    expect(await pending).toEqual({ type: 'network', code: 'WS_CLOSED', neverSent: false });
    expect(ends).toEqual(['closed_by_peer']);
    expect(breaker.state).toBe('open');
    await waitFor(() => ws.state === 'open', { timeoutMs: 2_000, what: 'reconnect' });
    expect(ws.snapshot().reconnects).toBe(1);
    expect(n.connections).toBe(2);
    expect(states.map((s) => `${s.to}:${s.reason}`)).toEqual(['connecting:start', 'open:connected', 'backoff:closed_by_peer', 'connecting:reconnect', 'open:connected']);
  });

  it('doubles the reconnect delay while the endpoint refuses, with seeded jitter, up to the cap', async () => {
    const n = await node();
    const port = n.port;
    await n.close();
    const attempts: number[] = [];
    const ws = upstream(`ws://127.0.0.1:${port}`, { reconnectBaseMs: 20, reconnectMaxMs: 80, random: () => 0.5 });
    ws.on('state', (s) => {
      if (s.to === 'connecting') attempts.push(performance.now());
    });
    ws.start();
    await waitFor(() => attempts.length >= 5, { timeoutMs: 3_000, what: 'five connect attempts' });
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
    // random 0.5 = no jitter: 20, 40, 80, 80 ms (+ connect time); never shorter.
    [20, 40, 80, 80].forEach((min, i) => expect(gaps[i]).toBeGreaterThanOrEqual(min - 2));
    expect(ws.snapshot().consecutiveFailures).toBeGreaterThanOrEqual(4);
    expect(ws.state).not.toBe('open');
  });

  it('a missing pong within the deadline marks the connection dead', async () => {
    const n = await node({ autoPong: false });
    const breaker = new CircuitBreaker();
    const states: WsStateChange[] = [];
    const ws = upstream(n.url(), { heartbeatIntervalMs: 30, heartbeatTimeoutMs: 50, breaker, reconnectBaseMs: 5_000 });
    ws.on('state', (s) => states.push(s));
    await ws.waitOpen(2_000);
    await waitFor(() => ws.state === 'backoff', { timeoutMs: 2_000, what: 'heartbeat timeout' });
    expect(states.at(-1)).toMatchObject({ to: 'backoff', reason: 'heartbeat_timeout' });
    expect(ws.snapshot().lastError).toMatch(/no pong/);
    expect(breaker.state).toBe('open');
  });

  it('pongs measure the round trip and close a half-open breaker', async () => {
    const n = await node();
    let now = 0;
    const breaker = new CircuitBreaker({ recoveryMs: 10, now: () => now, random: () => 0.5 });
    breaker.forceOpen('test');
    now = 100; // recovery elapsed: half-open
    const ws = upstream(n.url(), { heartbeatIntervalMs: 20, breaker });
    await ws.waitOpen(2_000);
    await waitFor(() => breaker.state === 'closed', { timeoutMs: 2_000, what: 'breaker closed by pongs' });
    expect(ws.rttMs).toBeGreaterThan(0);
  });

  it('unsubscribes a subscription whose answer came after the request timed out', async () => {
    const n = await node();
    n.handler = (msg, socket) => {
      if (msg.method === 'eth_subscribe') setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: '0xlate' })), 60);
      else socket.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: true }));
    };
    const ws = upstream(n.url());
    await ws.waitOpen(2_000);
    const res = await ws.subscribe('newHeads', [], { onNotification: () => undefined, onEnd: () => undefined }, { timeoutMs: 20 });
    expect(res).toEqual({ ok: false, outcome: { type: 'timeout', afterMs: 20 } });
    await waitFor(() => n.received.some((m) => m.method === 'eth_unsubscribe'), { timeoutMs: 1_000, what: 'late unsubscribe' });
    expect(n.received.at(-1)).toMatchObject({ method: 'eth_unsubscribe', params: ['0xlate'] });
  });

  it('close() stops reconnecting and cancels what is pending; logs never show the URL key', async () => {
    const n = await node();
    n.handler = () => undefined;
    const lines: string[] = [];
    const log = (obj: object, msg?: string) => lines.push(`${msg} ${JSON.stringify(obj)}`);
    const ws = upstream(n.url('/v3/SECRETKEY0123456789abcdef'), { logger: { debug: log, info: log, warn: log, error: log } });
    expect(ws.displayUrl).not.toContain('SECRETKEY');
    await ws.waitOpen(2_000);
    n.dropAll();
    await waitFor(() => ws.state === 'open' && n.connections === 2, { timeoutMs: 2_000, what: 'reconnect' });
    const pending = ws.request('eth_call');
    await ws.close();
    expect(await pending).toEqual({ type: 'cancelled' });
    expect(ws.state).toBe('closed');
    n.dropAll();
    await new Promise((r) => setTimeout(r, 60));
    expect(n.connections).toBe(2);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('SECRETKEY');
  });
});
