/**
 * The client WebSocket front on a real devnet through an in-process Lasso. Subscriptions are served
 * by a fake SubscriptionService (the engine is tested on its own): it relays the devnet's mined blocks
 * as newHeads and lets tests push notifications, end subscriptions and watch cleanup.
 */
import { setImmediate as nextTick } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPrng } from '../../src/chaos/prng.js';
import type { CanonicalBlock } from '../../src/devnet/index.js';
import { RpcError } from '../../src/jsonrpc/errors.js';
import type { ClientSubscriptionHandle, SubscriptionService, SubscriptionSink } from '../../src/subscriptions/types.js';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { getText, metricValue } from '../helpers/rpc.js';
import { waitFor } from '../helpers/wait.js';

// ---------------------------------------------------------------------------------------------
// Fake engine

interface FakeSub {
  id: string;
  kind: string;
  params: readonly unknown[];
  sink: SubscriptionSink;
  /** The sink answered false once: the engine stops delivering to it, as the contract says. */
  refused: boolean;
}

class FakeSubscriptionService implements SubscriptionService {
  readonly subs = new Map<string, FakeSub>();
  /** Runs inside subscribe() before it resolves (e.g. to deliver before the client knows the id). */
  onSubscribe: ((sub: FakeSub) => void) | undefined;
  /** Delays subscribe()'s answer until this promise settles. */
  gate: Promise<void> | undefined;
  unsubscribed = 0;
  private n = 0;

  async subscribe(kind: string, params: readonly unknown[], sink: SubscriptionSink): Promise<ClientSubscriptionHandle> {
    if (kind !== 'newHeads' && kind !== 'logs' && kind !== 'newPendingTransactions') {
      throw new RpcError(-32602, `unknown subscription type "${kind}"; expected newHeads, logs or newPendingTransactions`);
    }
    const id = '0x' + (++this.n).toString(16).padStart(32, '0');
    const sub: FakeSub = { id, kind, params, sink, refused: false };
    this.subs.set(id, sub);
    this.onSubscribe?.(sub);
    if (this.gate) await this.gate;
    return {
      id,
      unsubscribe: () => {
        if (this.subs.delete(id)) this.unsubscribed++;
      },
    };
  }

  /** Delivers to every live subscription of `kind`; returns the subscriptions that refused. */
  emit(kind: string, result: unknown): FakeSub[] {
    const refused: FakeSub[] = [];
    for (const sub of this.subs.values()) {
      if (sub.kind !== kind || sub.refused) continue;
      if (!sub.sink.deliver(result)) {
        sub.refused = true;
        refused.push(sub);
      }
    }
    return refused;
  }

  stats(): ReturnType<SubscriptionService['stats']> {
    const byKey: Record<string, { clients: number; provider: string | undefined }> = {};
    for (const s of this.subs.values()) (byKey[s.kind] ??= { clients: 0, provider: 'fake' }).clients++;
    return { clientSubscriptions: this.subs.size, upstreamSubscriptions: Object.keys(byKey).length, byKey };
  }

  async close(): Promise<void> {
    this.subs.clear();
  }
}

function headerOf(block: CanonicalBlock): Record<string, string> {
  return { number: '0x' + block.number.toString(16), hash: block.hash, parentHash: block.parentHash, timestamp: '0x' + block.timestamp.toString(16) };
}

// ---------------------------------------------------------------------------------------------
// Test client: every message kept, waits by predicate with a deadline

interface Closed {
  code: number;
  reason: string;
}

class TestClient {
  readonly messages: any[] = [];
  readonly raw: string[] = [];
  readonly closed: Promise<Closed>;
  pings = 0;
  private waiters: Array<() => void> = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      this.messages.push(JSON.parse(text));
      this.wake();
    });
    ws.on('ping', () => {
      this.pings++;
      this.wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
    void this.closed.then(() => this.wake());
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(payload: unknown): void {
    this.ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  async request(method: string, params: unknown[] = []): Promise<any> {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.waitFor((m) => m.id === id, `response to ${method} #${id}`);
  }

  async subscribe(kind: string, ...rest: unknown[]): Promise<string> {
    const res = await this.request('eth_subscribe', [kind, ...rest]);
    if (typeof res.result !== 'string') throw new Error(`eth_subscribe failed: ${JSON.stringify(res)}`);
    return res.result;
  }

  notifications(subscription?: string): any[] {
    return this.messages.filter((m) => m.method === 'eth_subscription' && (subscription === undefined || m.params.subscription === subscription));
  }

  /** First message (already received or future) matching `match`. */
  waitFor(match: (m: any) => boolean, what: string, timeoutMs = 5000): Promise<any> {
    return this.until(() => this.messages.find(match), what, timeoutMs);
  }

  until<T>(check: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== test);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last messages: ${this.raw.slice(-3).join(' | ')}`));
      }, timeoutMs);
      const test = (): void => {
        const v = check();
        if (v === undefined || v === false) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== test);
        resolve(v);
      };
      this.waiters.push(test);
      test();
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Upgrade attempt that is expected to be refused: status and JSON body. */
function refusedUpgrade(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.on('open', () => reject(new Error('upgrade unexpectedly accepted')));
    ws.on('error', () => undefined);
  });
}

// ---------------------------------------------------------------------------------------------

describe('WebSocket front: JSON-RPC, subscriptions, limits, cleanup', () => {
  let cluster: Cluster;
  const fake = new FakeSubscriptionService();
  const clients: TestClient[] = [];
  const connect = async (path = cluster.wsUrl, options?: WebSocket.ClientOptions): Promise<TestClient> => {
    const c = await TestClient.open(path, options);
    clients.push(c);
    return c;
  };
  const base = (): string => cluster.lasso.url.replace(/^http/, 'ws');
  const metrics = async (): Promise<string> => getText(`${cluster.lasso.url}/metrics`);

  beforeAll(async () => {
    cluster = await startCluster({
      server: {
        websocket: { maxConnections: 8, maxInFlightPerConnection: 4, maxSubscriptionsPerConnection: 3, maxMessageBytes: 4096, maxBufferedBytes: 64 * 1024, pingIntervalMs: 0 },
      },
      subscriptionServiceFactory: () => fake,
    });
    cluster.devnet.on('block', (block) => fake.emit('newHeads', headerOf(block)));
    await cluster.devnet.mineBlock();
    await cluster.caughtUp();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await waitFor(() => cluster.lasso.ws.stats().connections === 0, { timeoutMs: 5000, what: 'server-side connections to close' });
    fake.onSubscribe = undefined;
    fake.gate = undefined;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.ws.terminate()));
    await cluster?.close();
  });

  it('serves single requests with ids echoed exactly, including ids a JS number cannot hold', async () => {
    const c = await connect();
    const head = await c.request('eth_blockNumber');
    expect(head).toEqual({ jsonrpc: '2.0', id: expect.any(Number), result: '0x' + cluster.devnet.canonical.head().toString(16) });
    c.send({ jsonrpc: '2.0', id: 'abc', method: 'eth_chainId', params: [] });
    expect(await c.waitFor((m) => m.id === 'abc', 'string id')).toEqual({ jsonrpc: '2.0', id: 'abc', result: '0x' + cluster.devnet.chainId.toString(16) });
    c.send('{"jsonrpc":"2.0","id":12345678901234567890123,"method":"eth_chainId","params":[]}');
    await c.until(() => c.raw.find((t) => t.includes('12345678901234567890123')), 'big id echoed');
    const block = await c.request('eth_getBlockByNumber', ['0x1', false]);
    expect(block.result.hash).toBe(cluster.devnet.canonical.block(1)!.hash);
  });

  it('serves batches in request order, answers notifications with nothing, and errors per item', async () => {
    const c = await connect();
    c.send([
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', method: 'eth_blockNumber', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_sendTransaction', params: [{}] },
      { foo: 'bar' },
      { jsonrpc: '2.0', id: 3, method: 'eth_blockNumber', params: [] },
    ]);
    const batch = await c.waitFor((m) => Array.isArray(m), 'batch response');
    expect(batch.map((r: any) => r.id)).toEqual([1, 2, null, 3]);
    expect(batch[0].result).toBe('0x' + cluster.devnet.chainId.toString(16));
    expect(batch[1].error.code).toBe(-32601);
    expect(batch[2].error.code).toBe(-32600);
    expect(batch[3].result).toBe('0x' + cluster.devnet.canonical.head().toString(16));

    // A lone notification gets no answer: the next message is the following request's response.
    const before = c.messages.length;
    c.send({ jsonrpc: '2.0', method: 'eth_blockNumber', params: [] });
    const after = await c.request('eth_chainId');
    expect(c.messages.length).toBe(before + 1);
    expect(c.messages[before]).toBe(after);
  });

  it('answers bad input with -32700 / -32600 and keeps the connection open (seeded fuzz)', async () => {
    const c = await connect();
    c.send('{not json');
    expect((await c.waitFor((m) => m.error?.code === -32700, 'parse error')).id).toBeNull();
    c.send('[]');
    await c.waitFor((m) => m.error?.code === -32600 && /empty batch/.test(m.error.message), 'empty batch');
    c.send({ jsonrpc: '1.0', id: 7, method: 'eth_chainId' });
    expect((await c.waitFor((m) => m.id === 7, 'bad version')).error.code).toBe(-32600);
    c.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    await c.until(() => c.messages.filter((m) => m.error?.code === -32700).length >= 2, 'binary garbage parse error');

    const prng = createPrng(3);
    const pieces = ['{', '}', '[', ']', '"jsonrpc"', ':', '"2.0"', ',', '"id"', '1', 'null', '"method"', '"eth_chainId"', '"params"', '\u0000', '\u00ff', 'true', '-1e999'];
    for (let i = 0; i < 300; i++) {
      const len = 1 + prng.nextInt(12);
      c.send(Array.from({ length: len }, () => pieces[prng.nextInt(pieces.length)]).join(''));
    }
    const ok = await c.request('eth_chainId');
    expect(ok.result).toBe('0x' + cluster.devnet.chainId.toString(16));
    expect(c.open).toBe(true);
  });

  it('routes /ws/rpc/:strategy/:chain and /ws/rpc/provider/:id/:chain, and fails over like HTTP', async () => {
    const pinned = await connect(`${base()}/ws/rpc/provider/node-1/devnet`);
    expect((await pinned.request('eth_blockNumber')).result).toBe('0x' + cluster.devnet.canonical.head().toString(16));
    const prioritized = await connect(`${base()}/ws/rpc/priority/devnet`);
    await cluster.devnet.kill('node-0');
    try {
      for (let i = 0; i < 3; i++) {
        const res = await prioritized.request('eth_getBlockByNumber', ['0x1', false]);
        expect(res.result.hash).toBe(cluster.devnet.canonical.block(1)!.hash);
      }
    } finally {
      await cluster.devnet.restart('node-0');
    }
  });

  it('refuses unknown chains, strategies, providers and paths with 404 and a JSON-RPC error body', async () => {
    const chain = await refusedUpgrade(`${base()}/ws/rpc/nope`);
    expect(chain.status).toBe(404);
    expect(chain.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32602, message: expect.stringContaining('unknown chain "nope"') } });
    const strategy = await refusedUpgrade(`${base()}/ws/rpc/quickest/devnet`);
    expect(strategy.status).toBe(404);
    expect(strategy.body.error.message).toContain('unknown strategy "quickest"');
    const provider = await refusedUpgrade(`${base()}/ws/rpc/provider/node-9/devnet`);
    expect(provider.body.error.message).toContain('unknown provider "node-9"');
    const path = await refusedUpgrade(`${base()}/somewhere`);
    expect(path.status).toBe(404);
    expect(path.body.error.message).toContain('/ws/rpc/:chain');
    expect(metricValue(await metrics(), 'lasso_ws_client_upgrade_rejections_total', { reason: 'unknown_chain' })).toBeGreaterThanOrEqual(1);
  });

  it('delivers newHeads in order as eth_subscription notifications, stops after eth_unsubscribe', async () => {
    const c = await connect();
    const other = await connect();
    const id = await c.subscribe('newHeads');
    expect(id).toMatch(/^0x[0-9a-f]{32}$/);
    const from = cluster.devnet.canonical.head() + 1;
    for (let i = 0; i < 3; i++) await cluster.devnet.mineBlock();
    await c.until(() => c.notifications(id).length >= 3, '3 newHeads');
    const got = c.notifications(id).map((m) => m.params.result.hash);
    expect(got).toEqual(cluster.devnet.canonical.blocks(from, from + 2).map((b) => b.hash));
    expect(c.notifications(id)[0]).toEqual({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, result: headerOf(cluster.devnet.canonical.block(from)!) } });

    expect((await c.request('eth_unsubscribe', [id])).result).toBe(true);
    expect((await c.request('eth_unsubscribe', [id])).result).toBe(false);
    const otherId = await other.subscribe('newHeads');
    await cluster.devnet.mineBlock();
    await other.until(() => other.notifications(otherId).length >= 1, 'newHeads on the other client');
    expect(c.notifications(id)).toHaveLength(3);
  });

  it('answers eth_subscribe errors: unknown kind (-32602), bad params, and subscriptions inside a batch', async () => {
    const c = await connect();
    const unknown = await c.request('eth_subscribe', ['newBlocks']);
    expect(unknown.error).toMatchObject({ code: -32602, message: expect.stringContaining('unknown subscription type "newBlocks"') });
    expect((await c.request('eth_subscribe', [])).error.code).toBe(-32602);
    expect((await c.request('eth_unsubscribe', [])).error.code).toBe(-32602);

    c.send([
      { jsonrpc: '2.0', id: 'sub', method: 'eth_subscribe', params: ['newHeads'] },
      { jsonrpc: '2.0', id: 'n', method: 'eth_blockNumber', params: [] },
    ]);
    const batch = await c.waitFor((m) => Array.isArray(m), 'batch with eth_subscribe');
    expect(batch.map((r: any) => r.id)).toEqual(['sub', 'n']);
    const subId = batch[0].result as string;
    await cluster.devnet.mineBlock();
    await c.until(() => c.notifications(subId).length >= 1, 'notification for the batched subscription');
  });

  it('sends the eth_subscribe response before any notification the engine delivered early', async () => {
    const c = await connect();
    fake.onSubscribe = (sub) => {
      sub.sink.deliver({ early: 1 });
      sub.sink.deliver({ early: 2 });
    };
    const id = await c.subscribe('newPendingTransactions');
    await c.until(() => c.notifications(id).length >= 2, 'early notifications');
    const responseIndex = c.messages.findIndex((m) => m.result === id);
    const firstNote = c.messages.findIndex((m) => m.method === 'eth_subscription');
    expect(responseIndex).toBeGreaterThanOrEqual(0);
    expect(firstNote).toBeGreaterThan(responseIndex);
    expect(c.notifications(id).map((m) => m.params.result.early)).toEqual([1, 2]);
  });

  it('slows a client that pipelines 2,000 requests (reading pauses at the in-flight limit) and answers every one correctly', async () => {
    const c = await connect();
    const n = 2000;
    // One write of all requests: far more than the limit of 4 in flight arrive in the socket at once.
    // net_version goes upstream (eth_chainId and eth_blockNumber are answered by Lasso itself).
    const frames = Array.from({ length: n }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: i % 2 === 0 ? 'net_version' : 'eth_chainId', params: [] }));
    for (const f of frames) c.send(f);
    await c.until(() => c.messages.length >= n || undefined, `${n} answers`, 20_000);
    const byId = new Map(c.messages.map((m) => [m.id, m]));
    expect(byId.size).toBe(n);
    for (let i = 0; i < n; i++) expect(byId.get(i)).toEqual({ jsonrpc: '2.0', id: i, result: i % 2 === 0 ? String(cluster.devnet.chainId) : '0x' + cluster.devnet.chainId.toString(16) });
    expect(c.open).toBe(true);
  });

  it('limits in-flight requests, subscriptions and message size per connection, with -32005 and metrics', async () => {
    const c = await connect();
    // Batch of 5 requests with a limit of 4 in flight: refused item by item, ids kept.
    c.send(Array.from({ length: 5 }, (_, i) => ({ jsonrpc: '2.0', id: 100 + i, method: 'eth_chainId', params: [] })));
    const batch = await c.waitFor((m) => Array.isArray(m), 'refused batch');
    expect(batch.map((r: any) => r.id)).toEqual([100, 101, 102, 103, 104]);
    for (const r of batch) expect(r.error).toMatchObject({ code: -32005, data: { limit: 'maxInFlightPerConnection', max: 4 } });

    const ids = [await c.subscribe('newHeads'), await c.subscribe('logs', {}), await c.subscribe('newHeads')];
    const fourth = await c.request('eth_subscribe', ['newHeads']);
    expect(fourth.error).toMatchObject({ code: -32005, data: { limit: 'maxSubscriptionsPerConnection', max: 3 } });
    await c.request('eth_unsubscribe', [ids[0]]);
    expect(typeof (await c.request('eth_subscribe', ['newHeads'])).result).toBe('string');

    // Above maxMessageBytes (4096): a JSON-RPC error, the connection stays open.
    c.send({ jsonrpc: '2.0', id: 'big', method: 'eth_chainId', params: ['x'.repeat(5000)] });
    const big = await c.waitFor((m) => m.error?.data?.limit === 'maxMessageBytes', 'message size error');
    expect(big).toMatchObject({ id: null, error: { code: -32005, data: { max: 4096 } } });
    expect((await c.request('eth_chainId')).result).toBeDefined();

    // Above twice the limit: never buffered, the connection closes with 1009.
    c.send({ jsonrpc: '2.0', id: 'huge', method: 'eth_chainId', params: ['x'.repeat(9000)] });
    expect((await c.closed).code).toBe(1009);

    const text = await metrics();
    expect(metricValue(text, 'lasso_ws_client_limit_rejections_total', { limit: 'in_flight' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'lasso_ws_client_limit_rejections_total', { limit: 'subscriptions' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'lasso_ws_client_limit_rejections_total', { limit: 'message_size' })).toBeGreaterThanOrEqual(2);
    await waitFor(() => fake.subs.size === 0, { timeoutMs: 2000, what: 'subscriptions of the closed client released' });
  });

  it('refuses connections above maxConnections with 503', async () => {
    for (let i = 0; i < 8; i++) await connect();
    const refused = await refusedUpgrade(cluster.wsUrl);
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain('too many WebSocket connections');
    expect(metricValue(await metrics(), 'lasso_ws_client_limit_rejections_total', { limit: 'connections' })).toBeGreaterThanOrEqual(1);
  });

  it('releases every subscription when a client closes, is terminated, or leaves mid-subscribe', async () => {
    const polite = await connect();
    const abrupt = await connect();
    for (const c of [polite, abrupt]) {
      await c.subscribe('newHeads');
      await c.subscribe('logs', { address: cluster.devnet.contracts.emitter });
    }
    expect(fake.stats().clientSubscriptions).toBe(4);
    expect(metricValue(await metrics(), 'lasso_ws_client_subscriptions')).toBe(4);
    await polite.close();
    abrupt.ws.terminate();
    await waitFor(() => fake.stats().clientSubscriptions === 0, { timeoutMs: 5000, what: 'fake engine back to 0 subscriptions' });

    // Leaves while eth_subscribe is still in the engine: the late handle is released on arrival.
    let open!: () => void;
    fake.gate = new Promise<void>((r) => (open = r));
    const leaving = await connect();
    leaving.send({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] });
    await waitFor(() => fake.subs.size === 1, { timeoutMs: 2000, what: 'subscribe to reach the engine' });
    leaving.ws.terminate();
    await waitFor(() => cluster.lasso.ws.stats().connections === 0, { timeoutMs: 2000, what: 'server to see the close' });
    open();
    await waitFor(() => fake.stats().clientSubscriptions === 0, { timeoutMs: 2000, what: 'late handle released' });
    await waitFor(async () => metricValue(await metrics(), 'lasso_ws_client_subscriptions') === 0, { timeoutMs: 2000, what: 'gauge back to 0' });
  });

  it('tells the client and closes (1011) when the engine ends a subscription', async () => {
    const c = await connect();
    const id = await c.subscribe('newHeads');
    const sub = fake.subs.get(id)!;
    sub.sink.end(new RpcError(-32000, 'gap could not be filled'));
    const notice = await c.waitFor((m) => m.id === null && m.error, 'end notice');
    expect(notice.error).toMatchObject({ code: -32000, message: expect.stringContaining(`subscription ${id} ended: gap could not be filled`) });
    const closed = await c.closed;
    expect(closed.code).toBe(1011);
    expect(closed.reason).toContain('gap could not be filled');
  });

  it('closes a client that stops reading, with a notice after a gap-free prefix, while another keeps receiving', async () => {
    const stalled = await connect();
    const healthy = await connect();
    const stalledId = await stalled.subscribe('newPendingTransactions');
    const healthyId = await healthy.subscribe('newPendingTransactions');
    stalled.ws.pause();

    // 2 KB notifications in small bursts (the healthy client reads between bursts, in this process).
    const pad = 'p'.repeat(2000);
    let seq = 0;
    let refusedAt: number | undefined;
    while (seq < 100_000 && (refusedAt === undefined || seq < refusedAt + 200)) {
      for (let i = 0; i < 8; i++, seq++) {
        const refused = fake.emit('newPendingTransactions', { seq, pad });
        if (refused.some((s) => s.id === stalledId)) refusedAt ??= seq;
      }
      await nextTick();
    }
    expect(refusedAt).toBeDefined();
    expect(metricValue(await metrics(), 'lasso_ws_client_slow_disconnects_total')).toBe(1);

    // The healthy client got everything, in order, and is still open.
    await healthy.until(() => healthy.notifications(healthyId).length === seq || undefined, `all ${seq} notifications on the healthy client`, 10_000);
    expect(healthy.notifications(healthyId).map((m) => m.params.result.seq)).toEqual([...Array(seq).keys()]);
    expect(healthy.open).toBe(true);

    // The stalled client reads again: a gap-free prefix, then the notice, then close 1008.
    stalled.ws.resume();
    const closed = await stalled.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain('client too slow');
    const seqs = stalled.notifications(stalledId).map((m) => m.params.result.seq);
    expect(seqs).toEqual([...Array(seqs.length).keys()]);
    expect(seqs.length).toBeLessThanOrEqual(refusedAt!);
    const last = stalled.messages[stalled.messages.length - 1];
    expect(last).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32005, data: { limit: 'maxBufferedBytes', subscriptions: [stalledId] } } });
    await waitFor(() => !fake.subs.has(stalledId), { timeoutMs: 2000, what: 'stalled subscription released' });
  });
});

describe('WebSocket front: keep-alive', () => {
  let cluster: Cluster;
  const fake = new FakeSubscriptionService();
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1, server: { websocket: { pingIntervalMs: 100 } }, subscriptionServiceFactory: () => fake });
  });
  afterAll(async () => cluster?.close());

  it('pings clients, keeps those that answer, terminates those that do not and releases their subscriptions', async () => {
    const alive = await TestClient.open(cluster.wsUrl);
    const silent = await TestClient.open(cluster.wsUrl, { autoPong: false });
    try {
      await silent.subscribe('newHeads');
      expect(fake.subs.size).toBe(1);
      const closed = await Promise.race([silent.closed, alive.closed.then(() => ({ code: -1, reason: 'wrong client closed' }))]);
      expect(closed.code).toBe(1006);
      expect(silent.pings).toBeGreaterThanOrEqual(1);
      await alive.until(() => alive.pings >= 5 || undefined, '5 pings answered');
      expect(alive.open).toBe(true);
      await waitFor(() => fake.subs.size === 0, { timeoutMs: 2000, what: 'silent client subscription released' });
      const text = await getText(`${cluster.lasso.url}/metrics`);
      expect(metricValue(text, 'lasso_ws_client_disconnects_total', { reason: 'ping_timeout' })).toBe(1);
    } finally {
      alive.ws.terminate();
      silent.ws.terminate();
    }
  });
});
