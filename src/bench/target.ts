/**
 * Child process for benchmarks: runs one server (an upstream, the pass-through or Lasso) so the load
 * generator never shares an event loop with what it measures. Talks to the parent over IPC:
 * sends { ready, url } once listening, answers { cpu } and { rss } requests with process.cpuUsage()
 * and the resident set size. Exits when the parent goes away (IPC channel closed), so that a parent
 * killed without cleanup leaves no server behind.
 */
import { startLasso } from '../app.js';
import { startStaticUpstream } from '../chaos/static-upstream.js';
import type { StaticReply } from '../chaos/static-upstream.js';
import type { JsonRpcRequest } from '../jsonrpc/types.js';
import { lassoConfigSchema, parseConfigText } from '../config/index.js';
import { createPrng } from '../chaos/prng.js';
import { createLogger } from '../observability/logger.js';
import { listen } from '../server/listen.js';
import { createLargeUpstream } from './large-upstream.js';
import { createPassThrough } from './passthrough.js';

export type TargetKind = 'upstream' | 'block-upstream' | 'large-upstream' | 'large-upstream-gzip' | 'passthrough' | 'lasso' | 'lasso-cached' | 'lasso-config';

/**
 * @param upstreamUrl the upstream of the pass-through and of Lasso's chain `bench`
 * @param secondUpstreamUrl Lasso only: the upstream of a second chain, `bench-gz`
 */
/**
 * Coalescing and the response cache off: every client request must cost one upstream request, as
 * in the pass-through, or identical benchmark requests would be merged or answered from memory and
 * flatter Lasso (bench:cache measures the cache, with a target of its own). eth_getLogs gets the request's
 * whole deadline: 20 MB answers to 8 clients on a busy machine can take longer than its usual 5 s.
 */
const BENCH_CHAIN = { chainId: 1, headPollIntervalMs: 1000, coalescing: { enabled: false }, cache: { enabled: false }, methodTimeoutsMs: { eth_getLogs: 30_000 } };

/** `args`: the upstream URL(s), or for `lasso-config` the config text and the seed of Lasso's random choices. */
async function start(kind: TargetKind, args: readonly string[]): Promise<string> {
  const [upstreamUrl, secondUpstreamUrl] = args;
  switch (kind) {
    case 'upstream':
      return (await startStaticUpstream({ port: 0 })).url;
    case 'block-upstream':
      return (await startStaticUpstream({ port: 0, blockNumber: BLOCK_UPSTREAM_HEAD, handler: answerBlock })).url;
    case 'large-upstream':
    case 'large-upstream-gzip': {
      const { server } = createLargeUpstream({ gzip: kind === 'large-upstream-gzip' });
      const port = await listen(server, '127.0.0.1', 0);
      return `http://127.0.0.1:${port}/`;
    }
    case 'passthrough': {
      const { server } = createPassThrough(required(upstreamUrl, 'upstream url'));
      const port = await listen(server, '127.0.0.1', 0);
      return `http://127.0.0.1:${port}/`;
    }
    case 'lasso': {
      const config = lassoConfigSchema.parse({
        server: { host: '127.0.0.1', port: 0 },
        logging: { level: 'silent' },
        chains: {
          bench: { ...BENCH_CHAIN, providers: [{ id: 'static', url: required(upstreamUrl, 'upstream url') }] },
          ...(secondUpstreamUrl && { 'bench-gz': { ...BENCH_CHAIN, providers: [{ id: 'static-gz', url: secondUpstreamUrl }] } }),
        },
      });
      const lasso = await startLasso({ config, logger: createLogger('silent') });
      return `${lasso.url}/rpc/bench`;
    }
    case 'lasso-config': {
      // A scenario's Lasso in a process of its own, with process metrics (heap, event-loop lag, handles) in its /metrics.
      const [configText, seed] = args;
      const config = parseConfigText(required(configText, 'config text'), {}, 'scenario config');
      const lasso = await startLasso({ config, port: 0, random: createPrng(Number(seed ?? 0)).next });
      return lasso.url;
    }
    case 'lasso-cached': {
      const config = lassoConfigSchema.parse({
        server: { host: '127.0.0.1', port: 0 },
        logging: { level: 'silent' },
        chains: { bench: { chainId: 1, headPollIntervalMs: 1000, providers: [{ id: 'static', url: required(upstreamUrl, 'upstream url') }] } },
      });
      const lasso = await startLasso({ config, logger: createLogger('silent') });
      return `${lasso.url}/rpc/bench`;
    }
  }
}

/** Head of the block upstream; its finalized block is 64 below, as on mainnet. */
export const BLOCK_UPSTREAM_HEAD = 20_000_000;

/** eth_getBlockByNumber as a node answers it: a block (with 150 transaction hashes, about 10 kB) for any number or tag. */
function answerBlock(req: JsonRpcRequest): StaticReply | undefined {
  if (req.method !== 'eth_getBlockByNumber' || !Array.isArray(req.params)) return undefined;
  const tag = req.params[0];
  const number = tag === 'finalized' || tag === 'safe' ? BLOCK_UPSTREAM_HEAD - 64 : tag === 'latest' ? BLOCK_UPSTREAM_HEAD : Number.parseInt(String(tag), 16);
  const word = (seed: number): string => `0x${seed.toString(16).padStart(64, '0')}`;
  return {
    result: {
      number: `0x${number.toString(16)}`,
      hash: word(number),
      parentHash: word(number - 1),
      timestamp: `0x${(1_700_000_000 + number * 12).toString(16)}`,
      gasUsed: '0x1c9c380',
      miner: `0x${'ab'.repeat(20)}`,
      transactions: Array.from({ length: 150 }, (_, i) => word(number * 1000 + i)),
    },
  };
}

function required(arg: string | undefined, what: string): string {
  if (!arg) throw new Error(`${what} required`);
  return arg;
}

const [kind, ...args] = process.argv.slice(2) as [TargetKind, ...string[]];
start(kind, args).then(
  (url) => {
    process.on('message', (msg: unknown) => {
      if (msg === 'cpu') process.send?.({ cpu: process.cpuUsage() });
      if (msg === 'rss') process.send?.({ rss: process.memoryUsage.rss() });
    });
    process.send?.({ ready: true, url });
  },
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);

process.on('disconnect', () => process.exit(0));
// A clean exit lets --cpu-prof write its profile when the parent is done measuring.
process.on('SIGTERM', () => process.exit(0));
