import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticUpstream } from '../../../src/chaos/static-upstream.js';
import type { StaticHandler, StaticUpstream } from '../../../src/chaos/static-upstream.js';
import { joined } from '../../../src/jsonrpc/byte-segments.js';
import { listen } from '../../../src/server/listen.js';
import { HttpUpstream } from '../../../src/transport/http-upstream.js';

/** A result with odd but valid spacing, so a re-serialisation would show. */
const LARGE_RESULT = `[ ${Array.from({ length: 4000 }, (_, i) => `{"logIndex" : "0x${i.toString(16)}","data":"0x${'ab'.repeat(64)}", "n": 1.50}`).join(' ,\n')} ]`;

let upstream: StaticUpstream;
let handler: StaticHandler = () => undefined;

beforeAll(async () => {
  upstream = await startStaticUpstream({ handler: (req) => handler(req) });
});
afterAll(async () => {
  await upstream.close();
});

function reply(body: (id: unknown) => string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }, status = 200): StaticHandler {
  return (req) => ({ http: { status, headers, body: body(req.id) } });
}

async function call(options: { maxResponseBytes?: number } = {}) {
  const http = new HttpUpstream({ url: upstream.url, ...options });
  try {
    return await http.send({ method: 'eth_getLogs', params: [{}], timeoutMs: 5_000 });
  } finally {
    await http.close();
  }
}

describe('HttpUpstream answers as bytes', () => {
  it('hands on the result bytes exactly as the upstream wrote them', async () => {
    handler = reply((id) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${LARGE_RESULT}}`);
    const outcome = await call();
    if (outcome.type !== 'result') throw new Error(`expected a result, got ${outcome.type}`);
    expect(joined(outcome.bytes.segments).toString()).toBe(LARGE_RESULT);
    expect(outcome.result).toEqual(JSON.parse(LARGE_RESULT));
    expect(outcome.received?.wireBytes).toBe(outcome.received?.bodyBytes);
  });

  it('asks for gzip and decodes it as a stream', async () => {
    let acceptEncoding: string | undefined;
    const server = createServer((req, res) => {
      acceptEncoding = req.headers['accept-encoding'];
      const body = gzipSync(`{"jsonrpc":"2.0","id":1,"result":${LARGE_RESULT}}`);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    });
    const port = await listen(server, '127.0.0.1', 0);
    const http = new HttpUpstream({ url: `http://127.0.0.1:${port}/` });
    try {
      const outcome = await http.send({ method: 'eth_getLogs', params: [{}], timeoutMs: 5_000 });
      if (outcome.type !== 'result') throw new Error(`expected a result, got ${outcome.type}`);
      expect(acceptEncoding).toBe('gzip');
      expect(joined(outcome.bytes.segments).toString()).toBe(LARGE_RESULT);
      expect(outcome.received!.wireBytes).toBeLessThan(outcome.received!.bodyBytes / 3);
    } finally {
      await http.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it('fails a truncated or malformed body, and a broken gzip stream', async () => {
    handler = reply((id) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${LARGE_RESULT.slice(0, -10)}`);
    expect(await call()).toEqual({ type: 'bad_response', reason: 'truncated' });
    handler = reply((id) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${LARGE_RESULT.replace('"n": 1.50', '"n": 1.5.0')}}`);
    expect(await call()).toEqual({ type: 'bad_response', reason: 'invalid_json' });
    handler = reply((id) => gzipSync(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${LARGE_RESULT}}`).subarray(0, 5000), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(await call()).toMatchObject({ type: 'bad_response' });
  });

  it('refuses an answer over the cap, announced or streamed', async () => {
    handler = reply((id) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${LARGE_RESULT}}`);
    expect(await call({ maxResponseBytes: 100_000 })).toEqual({ type: 'too_large', limitBytes: 100_000 });
    handler = reply((id) => gzipSync(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${LARGE_RESULT}}`), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(await call({ maxResponseBytes: 100_000 })).toEqual({ type: 'too_large', limitBytes: 100_000 });
  });

  it('still reads errors, wrong ids and HTTP errors from the envelope', async () => {
    handler = reply(() => '{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"slow down"}}', { 'content-type': 'application/json' }, 429);
    expect(await call()).toMatchObject({ type: 'rpc_error', error: { code: -32005, message: 'slow down' }, httpStatus: 429 });
    handler = reply(() => '{"jsonrpc":"2.0","id":424242,"result":"0x1"}');
    expect(await call()).toEqual({ type: 'bad_response', reason: 'wrong_id' });
    handler = reply(() => '<html>bad gateway</html>', { 'content-type': 'text/html' }, 502);
    expect(await call()).toEqual({ type: 'http_error', httpStatus: 502, bodySnippet: '<html>bad gateway</html>' });
  });
});
