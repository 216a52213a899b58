import { spawn, type ChildProcess } from 'node:child_process';
import { Client, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  FaultProxy,
  FaultRuleError,
  LOGS_RANGE_VENDORS,
  startControlServer,
  startStaticUpstream,
  type ControlServer,
  type FaultRule,
  type LogsRangeVendor,
  type StaticUpstream,
} from '../../src/chaos/index.js';
import { anvilBinaryPath } from '../../src/devnet/anvil-binary.js';
import { waitFor } from '../helpers/wait.js';

interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  elapsedMs: number;
}

let nextId = 1;

function rpcBody(method: string, id: unknown = nextId++, params: unknown[] = []): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

async function post(url: string, body: string, opts: { signal?: AbortSignal; dispatcher?: Client } = {}): Promise<HttpResult> {
  const started = performance.now();
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.dispatcher !== undefined ? { dispatcher: opts.dispatcher } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, elapsedMs: performance.now() - started };
}

/** The error code of a failed undici request (the socket's code, when undici wraps it). */
async function failureCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code ?? 'unknown';
  }
  throw new Error('expected the request to fail');
}

describe('FaultProxy over HTTP (static upstream)', () => {
  let upstream: StaticUpstream;
  let proxy: FaultProxy;

  beforeAll(async () => {
    upstream = await startStaticUpstream({ blockNumber: 0x1234 });
    proxy = await FaultProxy.start({ target: { httpUrl: upstream.url }, seed: 42, name: 'static' });
  });
  afterEach(async () => {
    proxy.clearFaults();
    await proxy.settled();
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
  });

  it('forwards requests unchanged when no fault is installed', async () => {
    const before = proxy.stats().httpRequests;
    const res = await post(proxy.httpUrl, rpcBody('eth_blockNumber', 7));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ jsonrpc: '2.0', id: 7, result: '0x1234' });
    expect(proxy.stats().httpRequests).toBe(before + 1);
  });

  it('latency delays the response by at least ms', async () => {
    const handle = proxy.addFault({ type: 'latency', ms: 150 });
    const res = await post(proxy.httpUrl, rpcBody('eth_blockNumber'));
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(149);
    expect(handle.applied).toBe(1);
    expect(proxy.stats().faultsApplied.latency).toBeGreaterThanOrEqual(1);
  });

  it('hang never answers: the client times out, and clearFaults releases held sockets', async () => {
    proxy.addFault({ type: 'hang' });
    // The client gives up (as viem's timeout does, with an abort signal): its socket goes away with it.
    const started = performance.now();
    const gaveUp = post(proxy.httpUrl, rpcBody('eth_blockNumber'), { signal: AbortSignal.timeout(200) });
    await expect(gaveUp).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    await waitFor(() => proxy.stats().hungRequests === 0, { timeoutMs: 2000, what: 'the abandoned socket to be forgotten' });

    const held = post(proxy.httpUrl, rpcBody('eth_blockNumber'));
    const outcome = failureCode(held);
    await waitFor(() => proxy.stats().hungRequests === 1, { timeoutMs: 2000, what: 'a hung request' });
    proxy.clearFaults();
    expect(await outcome).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    expect(proxy.stats().hungRequests).toBe(0);
  });

  it('reset destroys the connection with ECONNRESET', async () => {
    proxy.addFault({ type: 'reset' });
    expect(await failureCode(post(proxy.httpUrl, rpcBody('eth_blockNumber')))).toBe('ECONNRESET');
  });

  it('refuse closes the port (ECONNREFUSED) and listens again on the same port when removed', async () => {
    const client = new Client(proxy.httpUrl);
    try {
      // A keep-alive connection exists before the refuse: it must be dropped too.
      expect((await post(proxy.httpUrl, rpcBody('eth_chainId'), { dispatcher: client })).status).toBe(200);
      const port = proxy.port;
      const refuse = proxy.addFault({ type: 'refuse' });
      expect(proxy.stats().listening).toBe(false);
      expect(refuse.applied).toBe(1);
      // Without the drop, the kept-alive socket would still reach the closed server. Depending on
      // whether the client noticed the FIN before sending, it sees the close or a refused reconnect.
      expect(await failureCode(post(proxy.httpUrl, rpcBody('eth_chainId'), { dispatcher: client }))).toMatch(
        /^(UND_ERR_SOCKET|ECONNREFUSED)$/,
      );
      expect(await failureCode(post(proxy.httpUrl, rpcBody('eth_chainId'), { dispatcher: client }))).toBe('ECONNREFUSED');
      expect(await failureCode(post(proxy.httpUrl, rpcBody('eth_chainId')))).toBe('ECONNREFUSED');

      refuse.remove();
      await proxy.settled();
      expect(proxy.port).toBe(port);
      expect(proxy.stats().listening).toBe(true);
      expect((await post(proxy.httpUrl, rpcBody('eth_chainId'), { dispatcher: client })).status).toBe(200);
    } finally {
      await client.destroy();
    }
  });

  it('http_status answers 429 with Retry-After', async () => {
    proxy.addFault({ type: 'http_status', status: 429, retryAfterSeconds: 7 });
    const res = await post(proxy.httpUrl, rpcBody('eth_blockNumber'));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.text).toBe('Too Many Requests');
  });

  it('rpc_error echoes the request id, per item in a batch when method-scoped', async () => {
    proxy.setFaults([{ type: 'rpc_error', code: -32603, message: 'boom' }]);
    const single = await post(proxy.httpUrl, rpcBody('eth_blockNumber', 'abc-1'));
    expect(single.status).toBe(200);
    expect(JSON.parse(single.text)).toEqual({ jsonrpc: '2.0', id: 'abc-1', error: { code: -32603, message: 'boom' } });

    proxy.setFaults([{ type: 'rpc_error', code: -32005, methods: ['eth_chainId'], httpStatus: 200 }]);
    const upstreamCalls = upstream.calls;
    const batch = await post(
      proxy.httpUrl,
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'eth_chainId', params: [] },
      ]),
    );
    const items = JSON.parse(batch.text) as { id: number; result?: string; error?: { code: number } }[];
    const byId = new Map(items.map((item) => [item.id, item]));
    expect(byId.get(1)?.result).toBe('0x1234');
    expect(byId.get(2)?.error?.code).toBe(-32005);
    expect(upstream.calls - upstreamCalls).toBe(1); // only the unaffected item went upstream
  });

  it('garbage answers 200 with a body that is not JSON', async () => {
    proxy.addFault({ type: 'garbage' });
    const res = await post(proxy.httpUrl, rpcBody('eth_blockNumber'));
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text)).toThrow();
  });

  it('truncated answers the first half of the real response', async () => {
    const full = (await post(proxy.httpUrl, rpcBody('eth_blockNumber', 99))).text;
    proxy.addFault({ type: 'truncated' });
    const res = await post(proxy.httpUrl, rpcBody('eth_blockNumber', 99));
    expect(res.status).toBe(200);
    expect(res.text).toBe(full.slice(0, Math.floor(full.length / 2)));
    expect(() => JSON.parse(res.text)).toThrow();
  });

  it('wrong_id answers the real response under another id', async () => {
    proxy.addFault({ type: 'wrong_id' });
    const res = JSON.parse((await post(proxy.httpUrl, rpcBody('eth_blockNumber', 5))).text) as { id: unknown; result: string };
    expect(res.id).not.toBe(5);
    expect(res.result).toBe('0x1234');
  });

  it('rewrite_result adds to a hex result (a lying head), only for the scoped methods of a batch', async () => {
    const liar = proxy.addFault({ type: 'rewrite_result', methods: ['eth_blockNumber'], addHex: 1000 });
    expect(JSON.parse((await post(proxy.httpUrl, rpcBody('eth_blockNumber', 4))).text)).toEqual({ jsonrpc: '2.0', id: 4, result: '0x161c' });
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_blockNumber', params: [] },
    ]);
    const items = JSON.parse((await post(proxy.httpUrl, batch)).text) as { id: number; result: string }[];
    expect(new Map(items.map((i) => [i.id, i.result]))).toEqual(new Map([[1, '0x7a69'], [2, '0x161c']]));
    expect(liar.applied).toBe(2);

    proxy.setFaults([{ type: 'rewrite_result', addHex: -0x2000 }]);
    expect(JSON.parse((await post(proxy.httpUrl, rpcBody('eth_blockNumber', 5))).text).result).toBe('0x0');
    proxy.setFaults([{ type: 'rewrite_result', methods: ['eth_getBalance'], replace: null }]);
    expect(JSON.parse((await post(proxy.httpUrl, rpcBody('eth_getBalance', 6, ['0x0000000000000000000000000000000000000000', 'latest']))).text)).toEqual({ jsonrpc: '2.0', id: 6, result: null });
  });

  it('rewrite_result leaves error answers alone and needs exactly one rewrite', async () => {
    upstream.setHandler((req) => (req.method === 'eth_blockNumber' ? { error: { code: -32603, message: 'down' } } : undefined));
    try {
      proxy.setFaults([{ type: 'rewrite_result', addHex: 1 }]);
      expect(JSON.parse((await post(proxy.httpUrl, rpcBody('eth_blockNumber', 8))).text)).toMatchObject({ id: 8, error: { code: -32603 } });
    } finally {
      upstream.setHandler(undefined);
    }
    expect(() => proxy.setFaults([{ type: 'rewrite_result' }])).toThrow(FaultRuleError);
    expect(() => proxy.setFaults([{ type: 'rewrite_result', addHex: 1, replace: '0x1' }])).toThrow(FaultRuleError);
  });

  it('logs_range_cap refuses wide eth_getLogs ranges with the vendor error, resolving tags against the head', async () => {
    upstream.setHandler((req) => (req.method === 'eth_getLogs' ? { result: [] } : undefined));
    try {
      const cap = proxy.addFault({ type: 'logs_range_cap', maxBlocks: 100, vendor: 'quicknode' });
      const getLogs = (filter: object, id: unknown = nextId++): Promise<HttpResult> => post(proxy.httpUrl, rpcBody('eth_getLogs', id, [filter]));
      expect(JSON.parse((await getLogs({ fromBlock: '0x0', toBlock: '0x63' }, 1)).text)).toEqual({ jsonrpc: '2.0', id: 1, result: [] });
      const refused = await getLogs({ fromBlock: '0x0', toBlock: '0x64' }, 2);
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.text)).toEqual({ jsonrpc: '2.0', id: 2, error: { code: -32614, message: 'eth_getLogs is limited to a 100 range' } });
      // The static upstream's head is 0x1234: an omitted toBlock means the head.
      expect(JSON.parse((await getLogs({ fromBlock: '0x1200' })).text).result).toEqual([]);
      expect(JSON.parse((await getLogs({ fromBlock: '0x11d0' })).text).error.code).toBe(-32614);
      expect(JSON.parse((await getLogs({ fromBlock: 'earliest', toBlock: 'latest' })).text).error.code).toBe(-32614);
      expect(JSON.parse((await getLogs({ blockHash: `0x${'ab'.repeat(32)}` })).text).result).toEqual([]);

      const batch = await post(
        proxy.httpUrl,
        JSON.stringify([
          { jsonrpc: '2.0', id: 'wide', method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: '0x1000' }] },
          { jsonrpc: '2.0', id: 'head', method: 'eth_blockNumber', params: [] },
        ]),
      );
      expect(batch.status).toBe(200);
      const items = JSON.parse(batch.text) as { id: string; result?: string; error?: { code: number } }[];
      expect(new Map(items.map((i) => [i.id, i.result ?? i.error?.code]))).toEqual(new Map<string, unknown>([['wide', -32614], ['head', '0x1234']]));
      expect(cap.applied).toBe(4);
    } finally {
      upstream.setHandler(undefined);
    }
  });

  it('logs_range_cap speaks each vendor\'s error', async () => {
    const expected: Record<LogsRangeVendor, { code: number; text: string | RegExp }> = {
      alchemy: { code: -32602, text: 'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x10, 0x7df]' },
      alchemy_range: { code: -32600, text: 'You can make eth_getLogs requests with up to a 2000 block range. Based on your parameters, this block range should work: [0x10, 0x7df]' },
      infura: { code: -32005, text: 'query returned more than 10000 results. Try with this block range [0x10, 0x7df].' },
      quicknode: { code: -32614, text: 'eth_getLogs is limited to a 2,000 range' },
      frontier: { code: -32603, text: 'block range is too wide (maximum 2000)' },
      bsc: { code: -32000, text: 'exceed maximum block range: 2000' },
      reth: { code: -32602, text: 'query exceeds max block range 2000' },
      tenderly: { code: -32602, text: 'invalid params' },
    };
    for (const vendor of LOGS_RANGE_VENDORS) {
      proxy.setFaults([{ type: 'logs_range_cap', maxBlocks: 2000, vendor }]);
      const answer = JSON.parse((await post(proxy.httpUrl, rpcBody('eth_getLogs', 1, [{ fromBlock: '0x10', toBlock: '0x1000' }]))).text);
      expect(answer.error, vendor).toMatchObject({ code: expected[vendor].code, message: expected[vendor].text });
    }
    expect(JSON.parse((await post(proxy.httpUrl, rpcBody('eth_getLogs', 1, [{ fromBlock: '0x10', toBlock: '0x1000' }]))).text).error.data).toEqual({ payload: 'range 4081 is bigger than range limit 2000' });
  });

  it('slow_body trickles the real response', async () => {
    proxy.addFault({ type: 'slow_body', bytesPerSecond: 200 });
    const res = await post(proxy.httpUrl, rpcBody('eth_blockNumber', 3));
    // ~45 bytes at 200 B/s: about 225 ms.
    expect(res.elapsedMs).toBeGreaterThanOrEqual(150);
    expect(JSON.parse(res.text)).toEqual({ jsonrpc: '2.0', id: 3, result: '0x1234' });
  });

  it('method-scoped rules leave other methods alone', async () => {
    proxy.addFault({ type: 'http_status', status: 503, methods: ['eth_getBalance'] });
    expect((await post(proxy.httpUrl, rpcBody('eth_blockNumber'))).status).toBe(200);
    expect((await post(proxy.httpUrl, rpcBody('eth_getBalance', 1, ['0x0000000000000000000000000000000000000000', 'latest']))).status).toBe(503);
    // A batch travels as one HTTP request: it is hit when any item matches.
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' },
      { jsonrpc: '2.0', id: 2, method: 'eth_getBalance', params: [] },
    ]);
    expect((await post(proxy.httpUrl, batch)).status).toBe(503);
  });

  it('an unreachable target looks like a dropped connection, not a proxy-made status', async () => {
    const gone = await startStaticUpstream();
    await gone.close();
    const p = await FaultProxy.start({ target: { httpUrl: gone.url } });
    try {
      expect(await failureCode(post(p.httpUrl, rpcBody('eth_chainId')))).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    } finally {
      await p.close();
    }
  });

  it('probabilities drawn from a seed give a reproducible sequence', async () => {
    const rules: FaultRule[] = [{ type: 'rpc_error', code: -32603, probability: 0.5 }];
    const pattern = async (seed: number): Promise<string> => {
      const p = await FaultProxy.start({ target: { httpUrl: upstream.url }, seed });
      try {
        p.setFaults(rules);
        let out = '';
        for (let i = 0; i < 24; i++) {
          const body = JSON.parse((await post(p.httpUrl, rpcBody('eth_blockNumber'))).text) as { error?: unknown };
          out += body.error ? 'E' : '.';
        }
        return out;
      } finally {
        await p.close();
      }
    };
    const [a, b, c] = [await pattern(7), await pattern(7), await pattern(8)];
    expect(a).toBe(b);
    expect(a).toMatch(/E/);
    expect(a).toMatch(/\./);
    expect(c).not.toBe(a);
  });

  it('rejects invalid rules with a typed error and changes nothing', () => {
    proxy.setFaults([{ type: 'latency', ms: 10 }]);
    let caught: unknown;
    try {
      proxy.setFaults([{ type: 'latency', ms: -1 } as FaultRule, { type: 'refuse', probability: 0.5 } as FaultRule]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FaultRuleError);
    expect((caught as FaultRuleError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(['0.ms']));
    expect(proxy.faults().map((f) => f.rule.type)).toEqual(['latency']);
  });

  describe('control endpoint', () => {
    let control: ControlServer;
    beforeAll(async () => {
      control = await startControlServer({ static: proxy });
    });
    afterAll(async () => {
      await control?.close();
    });

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await request(control.url + path, {
        method: method as 'GET',
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      return { status: res.statusCode, json: (await res.body.json()) as any };
    };

    it('lists proxies, replaces and clears faults, and explains bad input', async () => {
      const listed = await call('GET', '/proxies');
      expect(listed.status).toBe(200);
      expect(listed.json.proxies[0]).toMatchObject({ name: 'static', port: proxy.port, httpUrl: proxy.httpUrl, faults: [] });

      const bad = await call('POST', '/proxies/static/faults', [{ type: 'latency' }, { type: 'nope' }]);
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe('invalid_fault_rules');
      expect(bad.json.error.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['0.ms', '1.type']));
      expect((await call('POST', '/proxies/static/faults', '{not json')).json.error.code).toBe('invalid_json');
      expect((await call('POST', '/proxies/missing/faults', [])).status).toBe(404);

      const set = await call('POST', '/proxies/static/faults', [{ type: 'rpc_error', code: -32603 }]);
      expect(set.status).toBe(200);
      expect(set.json.faults).toHaveLength(1);
      expect(JSON.parse((await post(proxy.httpUrl, rpcBody('eth_blockNumber', 11))).text).error.code).toBe(-32603);

      const cleared = await call('DELETE', '/proxies/static/faults');
      expect(cleared).toEqual({ status: 200, json: { faults: [] } });
      expect(JSON.parse((await post(proxy.httpUrl, rpcBody('eth_blockNumber', 12))).text).result).toBe('0x1234');

      // refuse through the API: the answer comes after the port is closed, DELETE after it is open again.
      await call('POST', '/proxies/static/faults', [{ type: 'refuse' }]);
      expect(await failureCode(post(proxy.httpUrl, rpcBody('eth_chainId')))).toBe('ECONNREFUSED');
      await call('DELETE', '/proxies/static/faults');
      expect((await post(proxy.httpUrl, rpcBody('eth_chainId'))).status).toBe(200);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// WebSocket side, against a real anvil node.

interface Anvil {
  child: ChildProcess;
  httpUrl: string;
  wsUrl: string;
}

async function startAnvil(): Promise<Anvil> {
  const child = spawn(anvilBinaryPath(), ['--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`anvil did not report its port: ${out.slice(-500)}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited early (${code})`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
}

/** A minimal JSON-RPC WS client that records everything it receives. */
class TestWs {
  readonly notifications: { at: number; params: any }[] = [];
  readonly raw: string[] = [];
  private readonly waiting = new Map<unknown, (msg: any) => void>();
  closed: { code: number } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      let msg: any;
      try {
        msg = JSON.parse(text);
      } catch {
        return;
      }
      if (msg.method === 'eth_subscription') this.notifications.push({ at: performance.now(), params: msg.params });
      else this.waiting.get(msg.id)?.(msg);
    });
    ws.on('close', (code) => (this.closed = { code }));
  }

  static open(url: string): Promise<TestWs> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new TestWs(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(new Error(`unexpected response ${res.statusCode}`));
      });
    });
  }

  call(method: string, params: unknown[] = [], timeoutMs = 3000): Promise<any> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${method} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, (msg) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(msg);
      });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

describe('FaultProxy over WebSocket (anvil)', () => {
  let anvil: Anvil | undefined;
  let proxy: FaultProxy;
  const clients: TestWs[] = [];
  const open = async (): Promise<TestWs> => {
    const c = await TestWs.open(proxy.wsUrl);
    clients.push(c);
    return c;
  };
  const mine = async (): Promise<void> => {
    const res = await post(anvil!.httpUrl, rpcBody('evm_mine'));
    expect(JSON.parse(res.text).error).toBeUndefined();
  };
  const subscribe = async (c: TestWs): Promise<void> => {
    const reply = await c.call('eth_subscribe', ['newHeads']);
    expect(typeof reply.result).toBe('string');
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    proxy = await FaultProxy.start({ target: { httpUrl: anvil.httpUrl, wsUrl: anvil.wsUrl }, seed: 1, name: 'anvil' });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    proxy.clearFaults();
    await proxy.settled();
  });
  afterAll(async () => {
    await proxy?.close();
    const child = anvil?.child;
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
  });

  it('pipes requests and subscription notifications both ways', async () => {
    const c = await open();
    expect((await c.call('eth_chainId')).result).toBe('0x7a69');
    await subscribe(c);
    await mine();
    await waitFor(() => c.notifications.length >= 1, { timeoutMs: 3000, what: 'a newHeads notification' });
    expect(c.notifications[0]!.params.result.number).toMatch(/^0x/);
    expect(proxy.stats().wsOpenConnections).toBe(1);
  });

  it('applies request faults to WS messages (rpc_error echoes the id, latency delays the reply)', async () => {
    const c = await open();
    proxy.setFaults([{ type: 'rpc_error', code: -32603, methods: ['eth_getBalance'] }, { type: 'latency', ms: 120, methods: ['eth_chainId'] }]);
    const err = await c.call('eth_getBalance', ['0x0000000000000000000000000000000000000000', 'latest']);
    expect(err.error.code).toBe(-32603);
    const started = performance.now();
    expect((await c.call('eth_chainId')).result).toBe('0x7a69');
    expect(performance.now() - started).toBeGreaterThanOrEqual(119);
  });

  it('applies hang, wrong_id, truncated and reset to WS request messages', async () => {
    const c = await open();
    const hang = proxy.addFault({ type: 'hang', methods: ['eth_gasPrice'] });
    const hungId = nextId;
    void c.call('eth_gasPrice', [], 60_000).catch(() => undefined);
    await waitFor(() => hang.applied === 1, { timeoutMs: 2000, what: 'the hang to fire' });
    // The swallowed request never reached anvil: later requests are answered, it never is.
    expect((await c.call('eth_chainId')).result).toBe('0x7a69');
    expect(c.raw.some((text) => JSON.parse(text).id === hungId)).toBe(false);

    proxy.setFaults([{ type: 'wrong_id', transport: 'ws' }]);
    const wrongId = nextId;
    c.ws.send(rpcBody('eth_chainId'));
    await waitFor(() => c.raw.length >= 2, { timeoutMs: 2000, what: 'the wrong_id reply' });
    const reply = JSON.parse(c.raw.at(-1)!);
    expect(reply.result).toBe('0x7a69');
    expect(reply.id).not.toBe(wrongId);

    proxy.setFaults([{ type: 'truncated' }]);
    c.ws.send(rpcBody('eth_chainId'));
    await waitFor(() => c.raw.length >= 3, { timeoutMs: 2000, what: 'the truncated reply' });
    expect(() => JSON.parse(c.raw.at(-1)!)).toThrow();

    proxy.setFaults([{ type: 'reset', transport: 'ws' }]);
    c.ws.send(rpcBody('eth_chainId'));
    await waitFor(() => c.closed, { timeoutMs: 2000, what: 'the WS to be reset' });
    expect(c.closed!.code).toBe(1006);
  });

  it('rewrite_result rewrites WS replies (single and batch), never notifications', async () => {
    const c = await open();
    const head = Number((await c.call('eth_blockNumber')).result);
    await subscribe(c);
    proxy.setFaults([{ type: 'rewrite_result', methods: ['eth_blockNumber'], addHex: 1000 }]);
    expect(Number((await c.call('eth_blockNumber')).result)).toBe(head + 1000);
    const before = c.raw.length;
    c.ws.send(JSON.stringify([
      { jsonrpc: '2.0', id: 'a', method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 'b', method: 'eth_blockNumber', params: [] },
    ]));
    await waitFor(() => c.raw.slice(before).some((t) => t.startsWith('[')), { timeoutMs: 2000, what: 'the batch reply' });
    const batch = JSON.parse(c.raw.slice(before).find((t) => t.startsWith('['))!) as { id: string; result: string }[];
    expect(new Map(batch.map((i) => [i.id, i.result]))).toEqual(new Map([['a', '0x7a69'], ['b', `0x${(head + 1000).toString(16)}`]]));
    await mine();
    await waitFor(() => c.notifications.length >= 1, { timeoutMs: 3000, what: 'a newHeads notification' });
    expect(Number(c.notifications[0]!.params.result.number)).toBe(head + 1);
  });

  it('logs_range_cap refuses wide eth_getLogs ranges over WS and forwards the rest', async () => {
    const c = await open();
    await mine();
    await mine();
    const cap = proxy.addFault({ type: 'logs_range_cap', maxBlocks: 2, vendor: 'bsc' });
    expect((await c.call('eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x1' }])).result).toEqual([]);
    expect((await c.call('eth_getLogs', [{ fromBlock: 'earliest' }])).error).toEqual({ code: -32000, message: 'exceed maximum block range: 2' });
    const before = c.raw.length;
    c.ws.send(JSON.stringify([
      { jsonrpc: '2.0', id: 'wide', method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: 'latest' }] },
      { jsonrpc: '2.0', id: 'chain', method: 'eth_chainId', params: [] },
    ]));
    await waitFor(() => c.raw.slice(before).some((t) => t.startsWith('[')), { timeoutMs: 2000, what: 'the batch reply' });
    const batch = JSON.parse(c.raw.slice(before).find((t) => t.startsWith('['))!) as { id: string; result?: string; error?: { code: number } }[];
    expect(new Map(batch.map((i) => [i.id, i.result ?? i.error?.code]))).toEqual(new Map<string, unknown>([['wide', -32000], ['chain', '0x7a69']]));
    expect(cap.applied).toBe(2);
  });

  it('refuse drops WS connections and refuses new ones until removed', async () => {
    const c = await open();
    const refuse = proxy.addFault({ type: 'refuse' });
    await waitFor(() => c.closed, { timeoutMs: 2000, what: 'the client WS to close' });
    await expect(TestWs.open(proxy.wsUrl)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    refuse.remove();
    await proxy.settled();
    expect((await (await open()).call('eth_chainId')).result).toBe('0x7a69');
  });

  it('ws_drop closes client connections and refuses upgrades while active', async () => {
    const c = await open();
    const drop = proxy.addFault({ type: 'ws_drop' });
    await waitFor(() => c.closed, { timeoutMs: 2000, what: 'the client WS to close' });
    expect(c.closed!.code).toBe(1006);
    await expect(TestWs.open(proxy.wsUrl)).rejects.toThrow(/503/);
    // HTTP keeps working.
    expect((await post(proxy.httpUrl, rpcBody('eth_chainId'))).status).toBe(200);
    drop.remove();
    const again = await open();
    expect((await again.call('eth_chainId')).result).toBe('0x7a69');
  });

  it('ws_drop with a closeCode sends a clean close frame', async () => {
    const c = await open();
    proxy.addFault({ type: 'ws_drop', closeCode: 1012 });
    await waitFor(() => c.closed, { timeoutMs: 2000, what: 'the client WS to close' });
    expect(c.closed!.code).toBe(1012);
  });

  it('ws_stall silently stops notifications while the socket keeps answering requests', async () => {
    const c = await open();
    await subscribe(c);
    await mine();
    await waitFor(() => c.notifications.length === 1, { timeoutMs: 3000, what: 'the first notification' });

    const stall = proxy.addFault({ type: 'ws_stall' });
    await mine();
    await mine();
    await waitFor(() => stall.applied === 2, { timeoutMs: 3000, what: 'two notifications to be stalled' });
    expect((await c.call('eth_blockNumber')).result).toMatch(/^0x/);
    expect(c.notifications).toHaveLength(1);
    expect(c.closed).toBeUndefined();

    stall.remove();
    await mine();
    await waitFor(() => c.notifications.length === 2, { timeoutMs: 3000, what: 'notifications to resume' });
  });

  it('ws_delay delays notifications and keeps their order', async () => {
    const c = await open();
    await subscribe(c);
    proxy.addFault({ type: 'ws_delay', ms: 250 });
    const started = performance.now();
    await mine();
    await mine();
    await waitFor(() => c.notifications.length === 2, { timeoutMs: 3000, what: 'two delayed notifications' });
    expect(c.notifications[0]!.at - started).toBeGreaterThanOrEqual(249);
    const [first, second] = c.notifications.map((n) => BigInt(n.params.result.number));
    expect(second! - first!).toBe(1n);
  });
});
