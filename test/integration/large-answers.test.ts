import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLasso } from '../../src/app.js';
import type { LassoInstance } from '../../src/app.js';
import { startStaticUpstream } from '../../src/chaos/static-upstream.js';
import type { StaticUpstream } from '../../src/chaos/static-upstream.js';
import { lassoConfigSchema } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';

/** POSTs a raw body; returns the raw answer bytes (decompressed when gzip) and headers. */
async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const raw = Buffer.from(await res.body.arrayBuffer());
  const text = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
  return { status: res.statusCode, headers: res.headers, text, wireBytes: raw.length };
}

/** The result's bytes in an answer `{"jsonrpc":"2.0","id":...,"result":<bytes>}`. */
function resultText(answer: string): string {
  const at = answer.indexOf('"result":');
  if (at < 0 || !answer.endsWith('}')) throw new Error(`not a success answer: ${answer.slice(0, 200)}`);
  return answer.slice(at + '"result":'.length, -1);
}

describe('large answers on a real devnet: bytes as the node wrote them', () => {
  let cluster: Cluster;
  let pinnedUrl: string;
  let nodeUrl: string;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, server: { compression: { thresholdBytes: 0 } } });
    for (let i = 0; i < 3; i++) await cluster.devnet.mineBlock({ txs: 3 });
    const node = cluster.devnet.nodes()[0]!;
    nodeUrl = node.httpUrl;
    pinnedUrl = cluster.rpcUrl.replace('/rpc/devnet', `/rpc/provider/${node.id}/devnet`);
  });
  afterAll(async () => cluster?.close());

  it('answers every method the integration suite uses with the node’s own result bytes', async () => {
    const block = JSON.parse((await post(nodeUrl, '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["latest",true]}')).text).result;
    const tx = block.transactions[0];
    const account = cluster.devnet.accounts[1]!.address;
    const calls: Array<[string, unknown[]]> = [
      ['eth_blockNumber', []],
      ['eth_getBalance', [account, 'latest']],
      ['eth_getTransactionCount', [account, 'latest']],
      ['eth_getCode', [tx.to, 'latest']],
      ['eth_gasPrice', []],
      ['eth_call', [{ to: tx.to, data: '0x' }, 'latest']],
      ['eth_getBlockByNumber', ['0x1', false]],
      ['eth_getBlockByNumber', [block.number, true]],
      ['eth_getBlockByHash', [block.hash, true]],
      ['eth_getTransactionByHash', [tx.hash]],
      ['eth_getTransactionReceipt', [tx.hash]],
      ['eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }]],
      ['eth_getBlockByNumber', ['0xffffff', false]],
    ];
    for (const [method, params] of calls) {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method, params });
      const direct = await post(nodeUrl, body);
      const through = await post(pinnedUrl, body);
      expect(through.text.startsWith('{"jsonrpc":"2.0","id":7,"result":'), `${method}: ${through.text.slice(0, 120)}`).toBe(true);
      expect(resultText(through.text), method).toBe(resultText(direct.text));
    }
  });

  it('echoes ids of every kind on spliced answers, over HTTP and WebSocket', async () => {
    const ids = ['9007199254740993', '123456789012345678901234567890', '-0.0', '1e400', '"caf\\u00e9 \u2603"', 'null', '0', '"x"'];
    const socket = new WebSocket(cluster.wsUrl);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    try {
      for (const id of ids) {
        const body = `{"jsonrpc":"2.0","id":${id},"method":"eth_getBlockByNumber","params":["0x1",true]}`;
        const http = await post(cluster.rpcUrl, body);
        // Numbers as the client wrote them (beyond 2^53 too); strings as the same JSON string value.
        const echoed = id.startsWith('"') ? JSON.stringify(JSON.parse(id)) : id;
        expect(http.text.startsWith(`{"jsonrpc":"2.0","id":${echoed},"result":{`), http.text.slice(0, 80)).toBe(true);
        const ws = await new Promise<string>((resolve) => {
          socket.once('message', (data: Buffer, isBinary: boolean) => resolve(isBinary ? 'binary!' : data.toString('utf8')));
          socket.send(body);
        });
        expect(ws).toBe(http.text);
      }
      const batch = await post(cluster.rpcUrl, `[${ids.map((id) => `{"jsonrpc":"2.0","id":${id},"method":"eth_getLogs","params":[{"fromBlock":"0x0"}]}`).join(',')}]`);
      const answers = JSON.parse(batch.text) as Array<{ result: unknown }>;
      expect(answers).toHaveLength(ids.length);
      for (const a of answers) expect(a.result).toEqual(answers[0]!.result);
    } finally {
      socket.terminate();
    }
  });

  it('compresses for a client that accepts gzip, and not for one that does not', async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0"}]}';
    const plain = await post(cluster.rpcUrl, body);
    const gzip = await post(cluster.rpcUrl, body, { 'accept-encoding': 'gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.text).toBe(plain.text);
    expect(gzip.wireBytes).toBeLessThan(plain.wireBytes);
  });
});

describe('large answers from scripted upstreams', () => {
  const ENTRIES = Array.from({ length: 1200 }, (_, i) => `{"logIndex":"0x${i.toString(16)}","data":"0x${'ab'.repeat(100)}"}`).join(',');
  /** About 280 KB; asked from block 0x1, twice that: over the 500 KB cap. */
  const LOGS = `[${ENTRIES}]`;
  const BIG_LOGS = `[${ENTRIES},${ENTRIES}]`;
  let broken: StaticUpstream;
  let good: StaticUpstream;
  let lasso: LassoInstance;
  let mode: 'truncated' | 'malformed' | 'whole' = 'truncated';
  beforeAll(async () => {
    const answer = (id: unknown, params: unknown) =>
      `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${(params as Array<{ fromBlock?: string }>)[0]?.fromBlock === '0x1' ? BIG_LOGS : LOGS}}`;
    broken = await startStaticUpstream({
      handler: (req) => {
        if (req.method !== 'eth_getLogs') return undefined;
        const full = answer(req.id, req.params);
        const body = mode === 'truncated' ? full.slice(0, full.length - 100) : mode === 'malformed' ? full.replace('"0x5"', '"0x5" "0x6"') : full;
        return { http: { status: 200, headers: { 'content-type': 'application/json' }, body } };
      },
    });
    good = await startStaticUpstream({
      handler: (req) => (req.method === 'eth_getLogs' ? { http: { status: 200, headers: { 'content-type': 'application/json' }, body: answer(req.id, req.params) } } : undefined),
    });
    const config = lassoConfigSchema.parse({
      server: { host: '127.0.0.1', port: 0 },
      logging: { level: 'silent' },
      limits: { maxUpstreamResponseBytes: 500_000 },
      chains: {
        big: {
          chainId: 31337,
          defaultStrategy: 'priority',
          hedging: { enabled: false },
          // Each request must reach the providers: the same read is sent again against another fault.
          cache: { enabled: false },
          providers: [
            { id: 'broken', url: broken.url, priority: 1 },
            { id: 'good', url: good.url, priority: 2 },
          ],
        },
      },
    });
    lasso = await startLasso({ config, logger: createLogger('silent'), processMetrics: false });
  });
  afterAll(async () => {
    await lasso?.close();
    await broken?.close();
    await good?.close();
  });

  it('fails a truncated or malformed large body over to the next provider, never forwarding it', async () => {
    for (const m of ['truncated', 'malformed'] as const) {
      mode = m;
      const res = await post(`${lasso.url}/rpc/big`, '{"jsonrpc":"2.0","id":"q","method":"eth_getLogs","params":[{"fromBlock":"0x0"}]}');
      expect(res.headers['x-lasso-provider'], m).toBe('good');
      expect(res.headers['x-lasso-attempts'], m).toBe('2');
      expect(resultText(res.text)).toBe(LOGS);
    }
  });

  it('answers over the cap with an error naming the limit, without blaming the provider', async () => {
    mode = 'whole';
    const res = await post(`${lasso.url}/rpc/big`, '{"jsonrpc":"2.0","id":3,"method":"eth_getLogs","params":[{"fromBlock":"0x1"}]}');
    const answer = JSON.parse(res.text);
    expect(answer.error.message).toContain('limits.maxUpstreamResponseBytes');
    expect(answer.error.data).toMatchObject({ limit: 'limits.maxUpstreamResponseBytes', limitBytes: 500_000 });
    expect(res.headers['x-lasso-attempts']).toBe('1');
    const providers = JSON.parse((await request(`${lasso.url}/api/providers`).then((r) => r.body.text())) as string);
    const states = providers.chains[0].providers.map((p: { id: string; channels: Array<{ breaker: string }> }) => p.channels[0]!.breaker);
    expect(states).toEqual(['closed', 'closed']);
  });
});
