/**
 * A client behind a load balancer: every request lands on the other of two Lasso replicas (one
 * real redis-server, one devnet of three nodes, one of them really receiving every block late).
 * Replica B reaches the nodes over a slower path (fault proxies deliver its head notifications and
 * head polls late), so on its own it would answer a head a block or two older than replica A.
 * The head the client reads (eth_blockNumber and eth_getBlockByNumber('latest')) never goes
 * backwards, and it follows the devnet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLasso } from '../../../src/app.js';
import type { LassoInstance } from '../../../src/app.js';
import { FaultProxy } from '../../../src/chaos/index.js';
import { lassoConfigSchema } from '../../../src/config/index.js';
import { Devnet } from '../../../src/devnet/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { rpc } from '../../helpers/rpc.js';
import { RedisServer } from '../../helpers/redis-server.js';

const BLOCK_TIME_MS = 100;
/** How late replica B learns of new heads: two blocks, within the chain's default lag allowance. */
const SLOW_PATH_MS = 2 * BLOCK_TIME_MS;
/** This many reads over at least this many new blocks, or as many as a busy machine makes in READ_TIME_MS (at least MIN_READS). */
const READS = 300;
const BLOCKS = 10;
const READ_TIME_MS = 10_000;
const MIN_READS = 100;

let devnet: Devnet;
let redis: RedisServer;
const proxies: FaultProxy[] = [];
const replicas: LassoInstance[] = [];

beforeAll(async () => {
  devnet = await Devnet.start({ nodes: 3, blockTimeMs: 0, lagBlocks: { 'node-2': 2 } });
  redis = await RedisServer.start();
  for (const node of devnet.nodes()) {
    const proxy = await FaultProxy.start({ target: { httpUrl: node.httpUrl, wsUrl: node.wsUrl }, seed: 1, name: node.id });
    proxy.addFault({ type: 'ws_delay', ms: SLOW_PATH_MS });
    proxy.addFault({ type: 'latency', ms: SLOW_PATH_MS, methods: ['eth_blockNumber'] });
    proxies.push(proxy);
  }
  const endpoints = [devnet.nodes(), proxies];
  for (const nodes of endpoints) {
    const config = lassoConfigSchema.parse({
      server: { host: '127.0.0.1', port: 0 },
      logging: { level: process.env.LASSO_TEST_LOG ?? 'silent' },
      sharedState: { redis: { url: redis.url, keyPrefix: `lasso-head-test-${process.pid}:` } },
      chains: {
        devnet: {
          chainId: devnet.chainId,
          headPollIntervalMs: 100,
          providers: nodes.map((n, i) => ({ id: `node-${i}`, url: n.httpUrl, wsUrl: n.wsUrl })),
        },
      },
    });
    replicas.push(await startLasso({ config, logger: createLogger(config.logging.level), processMetrics: false }));
  }
}, 60_000);

afterAll(async () => {
  devnet?.stopMining();
  await Promise.all(replicas.map((r) => r.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await redis?.kill();
  await devnet?.stop();
});

async function readHead(replica: LassoInstance, method: 'eth_blockNumber' | 'eth_getBlockByNumber'): Promise<number> {
  const { body } = await rpc(`${replica.url}/rpc/devnet`, method, method === 'eth_blockNumber' ? [] : ['latest', false]);
  const hex: unknown = method === 'eth_blockNumber' ? body.result : body.result?.number;
  if (typeof hex !== 'string') throw new Error(`${method} answered ${JSON.stringify(body)}`);
  return Number.parseInt(hex, 16);
}

describe('a client alternating between two replicas', () => {
  it('never sees the head go backwards, and the head follows the chain', async () => {
    devnet.startMining(BLOCK_TIME_MS);
    const startHead = devnet.canonical.head();
    let highest = -1;
    let regressions = 0;
    const firstRegressions: string[] = [];
    const stopAt = Date.now() + READ_TIME_MS;
    for (let read = 0; read < READS || devnet.canonical.head() - startHead < BLOCKS; read++) {
      if (Date.now() > stopAt && read >= MIN_READS) break;
      const replica = read % 2;
      const method = (read >> 1) % 2 === 0 ? 'eth_blockNumber' : 'eth_getBlockByNumber';
      const n = await readHead(replicas[replica] as LassoInstance, method);
      if (n < highest && ++regressions <= 5) firstRegressions.push(`read ${read} (${method} on replica ${'AB'[replica]}): ${n} after ${highest}`);
      highest = Math.max(highest, n);
    }
    devnet.stopMining();
    const endHead = devnet.canonical.head();
    expect({ regressions, firstRegressions }).toEqual({ regressions: 0, firstRegressions: [] });
    // Not stuck: the head read moved with the chain and ends close to the chain's own head.
    expect(highest - startHead).toBeGreaterThanOrEqual(5);
    expect(highest).toBeGreaterThanOrEqual(endHead - 3);
  }, 60_000);
});
