/**
 * The front door on a real devnet through an in-process Lasso: keys (header, x-lasso-key, ?key=,
 * WebSocket upgrade), chain and method rules, rate limits (burst, Retry-After, per-method cost,
 * partly-over batches, anonymous clients by IP behind a trusted proxy), CORS and the admin key.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCluster } from '../../helpers/cluster.js';
import type { Cluster } from '../../helpers/cluster.js';
import { metricValue } from '../../helpers/rpc.js';

const APP_KEY = 'app-key-0123456789';
const LIMITED_KEY = 'limited-key-0123456789';
const COSTLY_KEY = 'costly-key-0123456789';
const WS_KEY = 'ws-key-0123456789';
const OTHER_CHAIN_KEY = 'other-chain-key-0123456789';
const ADMIN_KEY = 'admin-key-0123456789';

let cluster: Cluster;
let base: string;

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 1,
    server: {
      auth: {
        anonymous: true,
        anonymousRateLimit: { requestsPerSecond: 1 },
        trustedProxies: ['127.0.0.1'],
        adminKey: ADMIN_KEY,
        methodCosts: { eth_getLogs: 5 },
        keys: [
          { id: 'app-a', key: APP_KEY, methods: { deny: ['debug_*', 'trace_*'] }, allowedOrigins: ['https://app-a.example'] },
          { id: 'limited', key: LIMITED_KEY, rateLimit: { requestsPerSecond: 2, burst: 5 } },
          { id: 'costly', key: COSTLY_KEY, rateLimit: { requestsPerSecond: 5 } },
          { id: 'ws-client', key: WS_KEY, rateLimit: { requestsPerSecond: 1 } },
          { id: 'elsewhere', key: OTHER_CHAIN_KEY, chains: ['mainnet-only'] },
        ],
      },
      cors: { allowedOrigins: ['https://everyone.example'] },
    },
    chain: {},
  });
  base = cluster.lasso.url;
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

let nextId = 1;
function call(method: string, params: unknown[] = []): { jsonrpc: '2.0'; id: number; method: string; params: unknown[] } {
  return { jsonrpc: '2.0', id: nextId++, method, params };
}

async function post(path: string, payload: unknown, headers: Record<string, string> = {}) {
  const res = await request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}

function upgrade(path: string, headers: Record<string, string> = {}): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, { headers });
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.once('error', reject);
  });
}

function wsCall(ws: WebSocket, payload: unknown): Promise<any> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data))));
    ws.send(JSON.stringify(payload));
  });
}

describe('keys', () => {
  it('refuses a wrong key with 401 and a JSON-RPC error that does not echo it', async () => {
    const res = await post('/rpc/devnet', call('eth_chainId'), { authorization: 'Bearer wrong-key-123456' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(-32600);
    expect(res.text).not.toContain('wrong-key');
  });

  it('accepts the key as a bearer token, as x-lasso-key and as ?key=', async () => {
    for (const [path, headers] of [
      ['/rpc/devnet', { authorization: `Bearer ${APP_KEY}` }],
      ['/rpc/devnet', { 'x-lasso-key': APP_KEY }],
      [`/rpc/devnet?key=${APP_KEY}`, {}],
    ] as const) {
      const res = await post(path, call('eth_chainId'), headers);
      expect(res.status).toBe(200);
      expect(res.body.result).toMatch(/^0x/);
    }
  });

  it('refuses a method the key denies and a chain the key may not use', async () => {
    const denied = await post('/rpc/devnet', call('debug_traceTransaction', ['0x00']), { 'x-lasso-key': APP_KEY });
    expect(denied.status).toBe(200);
    expect(denied.body.error.code).toBe(-32601);
    const chain = await post('/rpc/devnet', call('eth_chainId'), { 'x-lasso-key': OTHER_CHAIN_KEY });
    expect(chain.status).toBe(403);
    expect(chain.body.error.message).toContain('elsewhere');
  });

  it('checks the key on the WebSocket upgrade (header and ?key=), and a wrong one gets 401', async () => {
    expect((await upgrade('/ws/rpc/devnet', { authorization: 'Bearer not-the-key-1234' })).status).toBe(401);
    for (const [path, headers] of [
      [`/ws/rpc/devnet?key=${APP_KEY}`, {}],
      ['/ws/rpc/devnet', { 'x-lasso-key': APP_KEY }],
    ] as const) {
      const { status, ws } = await upgrade(path, headers);
      expect(status).toBe(101);
      const answer = await wsCall(ws!, call('eth_chainId'));
      expect(answer.result).toMatch(/^0x/);
      ws!.close();
    }
  });
});

describe('rate limits', () => {
  // Each check happens within one payload: a key's 1 s window starts at its first request, so the
  // outcome does not depend on how fast a busy machine sends the next one.
  it('grants requestsPerSecond plus the burst; a partly-over batch is 200 with -32005 on each item over', async () => {
    // 2/s steady + 3 extra of burst = 5 now: a batch of 7 gets 5 answers and 2 refusals.
    const batch = await post('/rpc/devnet', Array.from({ length: 7 }, () => call('eth_chainId')), { 'x-lasso-key': LIMITED_KEY });
    expect(batch.status).toBe(200);
    const codes = batch.body.map((r: any) => r.error?.code ?? 'ok');
    expect(codes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', -32005, -32005]);
    expect(batch.body[5].error.data.retryAfterMs).toBeGreaterThan(0);
    expect(batch.text).not.toContain(LIMITED_KEY);
  });

  it('charges a method its configured cost, and a request wholly over the limit gets 429 with Retry-After', async () => {
    const headers = { 'x-lasso-key': COSTLY_KEY };
    // eth_getLogs costs 5 of the 5 per second: the eth_chainId after it in the same batch is over.
    const logs = await post('/rpc/devnet', [call('eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x0' }]), call('eth_chainId')], headers);
    expect(logs.status).toBe(200);
    expect(logs.body[0].error).toBeUndefined();
    expect(logs.body[1].error.code).toBe(-32005);
    // An eth_getLogs (5) never fits the 2/s + 3 burst key: the whole batch is refused.
    const over = await post('/rpc/devnet', [call('eth_getLogs', [{}]), call('eth_getLogs', [{}])], { 'x-lasso-key': LIMITED_KEY });
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.body.map((r: any) => r.error.code)).toEqual([-32005, -32005]);
  });

  it('answers -32005 per request over the limit on a WebSocket', async () => {
    const { ws } = await upgrade(`/ws/rpc/devnet?key=${WS_KEY}`);
    const answer = await wsCall(ws!, [call('eth_chainId'), call('eth_chainId'), call('eth_chainId')]);
    expect(answer.map((r: any) => r.error?.code ?? 'ok')).toEqual(['ok', -32005, -32005]);
    ws!.close();
  });

  it('limits anonymous clients per IP, believing X-Forwarded-For only from a trusted proxy', async () => {
    const first = await post('/rpc/devnet', [call('eth_chainId'), call('eth_chainId')], { 'x-forwarded-for': '203.0.113.7' });
    expect(first.body.map((r: any) => r.error?.code ?? 'ok')).toEqual(['ok', -32005]);
    const otherClient = await post('/rpc/devnet', call('eth_chainId'), { 'x-forwarded-for': '203.0.113.8' });
    expect(otherClient.status).toBe(200);
  });

  it('counts refusals by key id in /metrics, never by the key', async () => {
    const text = await (await request(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).body.text();
    expect(metricValue(text, 'lasso_front_door_rejections_total', { reason: 'rate_limited', key: 'limited' })).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'lasso_front_door_rejections_total', { reason: 'bad_key', key: 'unknown' })).toBeGreaterThanOrEqual(1);
    for (const secret of [APP_KEY, LIMITED_KEY, COSTLY_KEY, ADMIN_KEY]) expect(text).not.toContain(secret);
  });
});

describe('CORS and the admin surface', () => {
  it('answers a preflight for an allowed origin and gives the real answer its allow-origin header', async () => {
    const preflight = await request(`${base}/rpc/devnet`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app-a.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-lasso-key' },
    });
    await preflight.body.dump();
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app-a.example');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('x-lasso-key');

    const real = await post('/rpc/devnet', call('eth_chainId'), { origin: 'https://app-a.example', 'x-lasso-key': APP_KEY });
    expect(real.headers['access-control-allow-origin']).toBe('https://app-a.example');
    const global = await post('/rpc/devnet', call('eth_chainId'), { origin: 'https://everyone.example', 'x-lasso-key': APP_KEY });
    expect(global.headers['access-control-allow-origin']).toBe('https://everyone.example');

    const stranger = await request(`${base}/rpc/devnet`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    await stranger.body.dump();
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('requires the admin key on /metrics and /api/*, as a bearer token or ?key=, and leaves /health open', async () => {
    const status = async (path: string, headers: Record<string, string> = {}) => {
      const res = await request(`${base}${path}`, { headers });
      await res.body.dump();
      return res.statusCode;
    };
    expect(await status('/metrics')).toBe(401);
    expect(await status('/api/chains', { authorization: `Bearer ${APP_KEY}` })).toBe(401);
    expect(await status('/dashboard')).toBe(401);
    expect(await status('/metrics', { authorization: `Bearer ${ADMIN_KEY}` })).toBe(200);
    expect(await status(`/api/providers?key=${ADMIN_KEY}`)).toBe(200);
    expect(await status('/health')).toBe(200);
  });
});
