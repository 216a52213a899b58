/**
 * Keys required (no anonymous access): a request without a key, with a wrong one, with the key in
 * each place it may travel, on HTTP and on the WebSocket upgrade, and over the limit. Then no key
 * (client, admin, or a wrong one a client sent) appears in the debug log, /metrics or /api/*, and
 * the log names the key by its id.
 */
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLasso } from '../../../src/app.js';
import type { LassoInstance } from '../../../src/app.js';
import { lassoConfigSchema } from '../../../src/config/index.js';
import { Devnet } from '../../../src/devnet/index.js';
import { createLogger } from '../../../src/observability/logger.js';

const APP_KEY = 'app-key-kept-secret-0123';
const ADMIN_KEY = 'admin-key-kept-secret-0123';
const WRONG_KEY = 'wrong-key-kept-secret-0123';
const SECRETS = [APP_KEY, ADMIN_KEY, WRONG_KEY];

let devnet: Devnet;
let lasso: LassoInstance;
let logText = '';

beforeAll(async () => {
  devnet = await Devnet.start({ nodes: 1, blockTimeMs: 0 });
  const config = lassoConfigSchema.parse({
    server: { host: '127.0.0.1', port: 0, auth: { adminKey: ADMIN_KEY, methodCosts: { eth_getLogs: 5 }, keys: [{ id: 'app-a', key: APP_KEY, rateLimit: { requestsPerSecond: 3 } }] } },
    logging: { level: 'debug' },
    chains: { devnet: { chainId: devnet.chainId, providers: devnet.nodes().map((n) => ({ id: n.id, url: n.httpUrl, wsUrl: n.wsUrl })) } },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText += chunk.toString();
      done();
    },
  });
  lasso = await startLasso({ config, logger: createLogger('debug', sink), processMetrics: false });
}, 60_000);

afterAll(async () => {
  await lasso?.close();
  await devnet?.stop();
});

const BLOCK_NUMBER = '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}';

async function post(path: string, headers: Record<string, string> = {}, body = BLOCK_NUMBER) {
  const res = await request(`${lasso.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as any };
}

function upgrade(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body?: string; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${lasso.url.replace('http', 'ws')}${path}`, { headers });
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

describe('keys required', () => {
  it('answers no key and a wrong key with 401 and a JSON-RPC error, on HTTP and on the WebSocket upgrade', async () => {
    for (const headers of [{}, { authorization: `Bearer ${WRONG_KEY}` }] as Array<Record<string, string>>) {
      const res = await post('/rpc/devnet', headers);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe(-32600);
    }
    const noKey = await upgrade('/ws/rpc/devnet');
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.body as string).error.message).toMatch(/API key required/);
    expect((await upgrade(`/ws/rpc/devnet?key=${WRONG_KEY}`)).status).toBe(401);
  });

  it('serves the key from ?key= on the WebSocket upgrade, then refuses over the limit with 429, Retry-After and -32005', async () => {
    const { status, ws } = await upgrade(`/ws/rpc/devnet?key=${APP_KEY}`);
    expect(status).toBe(101);
    const answer = await new Promise<any>((resolve) => {
      ws!.once('message', (data) => resolve(JSON.parse(String(data))));
      ws!.send(BLOCK_NUMBER);
    });
    expect(answer.result).toMatch(/^0x/);
    ws!.close();
    // Three a second: a batch of four is partly over whatever the window; an eth_getLogs (cost 5) never fits.
    const batch = Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' }));
    const partly = await post(`/rpc/devnet?key=${APP_KEY}`, {}, JSON.stringify(batch));
    expect(partly.status).toBe(200);
    expect(partly.body.at(-1).error.code).toBe(-32005);
    const over = await post('/rpc/devnet', { 'x-lasso-key': APP_KEY }, '{"jsonrpc":"2.0","id":2,"method":"eth_getLogs","params":[{}]}');
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.body.error.code).toBe(-32005);
    expect(over.body.error.data.retryAfterMs).toBeGreaterThan(0);
  });

  it('never shows a key in the log, /metrics or /api/*; the log names the key by its id', async () => {
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const pages = await Promise.all(['/metrics', '/api/chains', '/api/providers', '/health'].map(async (path) => (await request(`${lasso.url}${path}`, { headers: admin })).body.text()));
    for (const text of [logText, ...pages]) for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(logText).toContain('"client":"key:app-a"');
  });
});
