/**
 * Child process for benchmarks: runs one server (an upstream, the pass-through or Lasso) so the load
 * generator never shares an event loop with what it measures. Talks to the parent over IPC:
 * sends { ready, url } once listening, answers { cpu } and { rss } requests with process.cpuUsage()
 * and the resident set size.
 */
import { startLasso } from '../app.js';
import { startStaticUpstream } from '../chaos/static-upstream.js';
import { lassoConfigSchema } from '../config/index.js';
import { createLogger } from '../observability/logger.js';
import { listen } from '../server/listen.js';
import { createLargeUpstream } from './large-upstream.js';
import { createPassThrough } from './passthrough.js';

export type TargetKind = 'upstream' | 'large-upstream' | 'large-upstream-gzip' | 'passthrough' | 'lasso';

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

async function start(kind: TargetKind, upstreamUrl: string | undefined, secondUpstreamUrl: string | undefined): Promise<string> {
  switch (kind) {
    case 'upstream':
      return (await startStaticUpstream({ port: 0 })).url;
    case 'large-upstream':
    case 'large-upstream-gzip': {
      const { server } = createLargeUpstream({ gzip: kind === 'large-upstream-gzip' });
      const port = await listen(server, '127.0.0.1', 0);
      return `http://127.0.0.1:${port}/`;
    }
    case 'passthrough': {
      const { server } = createPassThrough(requireUrl(upstreamUrl));
      const port = await listen(server, '127.0.0.1', 0);
      return `http://127.0.0.1:${port}/`;
    }
    case 'lasso': {
      const config = lassoConfigSchema.parse({
        server: { host: '127.0.0.1', port: 0 },
        logging: { level: 'silent' },
        chains: {
          bench: { ...BENCH_CHAIN, providers: [{ id: 'static', url: requireUrl(upstreamUrl) }] },
          ...(secondUpstreamUrl && { 'bench-gz': { ...BENCH_CHAIN, providers: [{ id: 'static-gz', url: secondUpstreamUrl }] } }),
        },
      });
      const lasso = await startLasso({ config, logger: createLogger('silent') });
      return `${lasso.url}/rpc/bench`;
    }
  }
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new Error('upstream url required');
  return url;
}

const [kind, upstreamUrl, secondUpstreamUrl] = process.argv.slice(2) as [TargetKind, string | undefined, string | undefined];
start(kind, upstreamUrl, secondUpstreamUrl).then(
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

// A clean exit lets --cpu-prof write its profile when the parent is done measuring.
process.on('SIGTERM', () => process.exit(0));
