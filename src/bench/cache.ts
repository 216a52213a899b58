/**
 * npm run bench:cache — the response cache against the bare pass-through, in one run at the same
 * concurrency: the same final block (eth_getBlockByNumber, about 10 kB) read through a bare undici
 * pass-through to a static upstream, and through Lasso with its cache on (every measured request a
 * hit). Then the memory a cached entry costs: Lasso's RSS growth while it caches ENTRIES distinct
 * final blocks, per entry, next to the bytes the cache counts for them (lasso_cache_bytes).
 * Each server runs in its own process; the load generator runs here.
 *
 * Environment: BENCH_DURATION_MS (3000), BENCH_CONCURRENCY (32), BENCH_ROUNDS (5), BENCH_CACHE_ENTRIES (4000).
 * Goal: cache hits at least 2x the pass-through's throughput, and a lower p50.
 */
import { generatorInfo } from '../battle/environment.js';
import { Pool } from 'undici';
import { closedLoop } from './load.js';
import type { LoadResult } from './load.js';
import { askTarget, median, startTarget } from './target-process.js';
import type { TargetProcess } from './target-process.js';
import { BLOCK_UPSTREAM_HEAD } from './target.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
// Arms take turns each round (starting with the other one every other round), each figure the
// median over rounds: a burst of outside load spoils one round of one arm, not the comparison.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ENTRIES = Number(process.env.BENCH_CACHE_ENTRIES ?? 4000);
/** Well below the upstream's finalized block (head - 64): final, so kept until evicted. */
const FINAL_BLOCK = BLOCK_UPSTREAM_HEAD - 1000;
const blockRequest = (n: number): string => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] });

type Arm = 'passthrough' | 'cache-hits';

/** Sends `bodies` with `concurrency` in flight; resolves when all are answered. */
async function sendAll(url: string, bodies: string[], concurrency: number): Promise<void> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: concurrency });
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++] as string;
          const res = await pool.request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body });
          await res.body.text();
        }
      }),
    );
  } finally {
    await pool.close();
  }
}

/** One series of Lasso's /metrics, summed over its labels. */
async function metric(lassoUrl: string, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', lassoUrl))).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

async function memoryPerEntry(lasso: TargetProcess): Promise<{ entries: number; rssBytesPerEntry: number; countedBytesPerEntry: number }> {
  const entriesBefore = await metric(lasso.url, 'lasso_cache_entries');
  const bytesBefore = await metric(lasso.url, 'lasso_cache_bytes');
  const rssBefore = await askTarget(lasso, 'rss');
  await sendAll(lasso.url, Array.from({ length: ENTRIES }, (_, i) => blockRequest(FINAL_BLOCK - 1 - i)), CONCURRENCY);
  const rssAfter = await askTarget(lasso, 'rss');
  const entries = (await metric(lasso.url, 'lasso_cache_entries')) - entriesBefore;
  const bytes = (await metric(lasso.url, 'lasso_cache_bytes')) - bytesBefore;
  return { entries, rssBytesPerEntry: Math.round((rssAfter - rssBefore) / Math.max(1, entries)), countedBytesPerEntry: Math.round(bytes / Math.max(1, entries)) };
}

async function main(): Promise<void> {
  const upstream = await startTarget('block-upstream');
  const passthrough = await startTarget('passthrough', upstream.url);
  const lasso = await startTarget('lasso-cached', upstream.url);
  const targets: Record<Arm, TargetProcess> = { passthrough, 'cache-hits': lasso };
  const results: Record<Arm, LoadResult[]> = { passthrough: [], 'cache-hits': [] };
  try {
    const missesBefore = await metric(lasso.url, 'lasso_cache_misses_total');
    for (let round = 0; round < ROUNDS; round++) {
      const order: Arm[] = round % 2 === 0 ? ['passthrough', 'cache-hits'] : ['cache-hits', 'passthrough'];
      for (const arm of order) {
        // The warm-up also fills the cache (the first request of the run is its only miss).
        const r = await closedLoop({ url: targets[arm].url, body: blockRequest(FINAL_BLOCK), concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: 1000 });
        results[arm].push(r);
        process.stderr.write(`round ${round + 1} ${arm.padEnd(11)} ${r.throughput.toFixed(0)} req/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms errors ${r.errors}\n`);
      }
    }
    // Warm-ups included: 1 when every request but the very first was a hit.
    const misses = (await metric(lasso.url, 'lasso_cache_misses_total')) - missesBefore;
    const memory = await memoryPerEntry(lasso);

    const summary = Object.fromEntries(
      (Object.entries(results) as [Arm, LoadResult[]][]).map(([arm, rs]) => [
        arm,
        {
          throughput: Math.round(median(rs.map((r) => r.throughput))),
          p50Ms: +median(rs.map((r) => r.p50Ms)).toFixed(3),
          p99Ms: +median(rs.map((r) => r.p99Ms)).toFixed(3),
          errors: rs.reduce((a, r) => a + r.errors, 0),
        },
      ]),
    ) as Record<Arm, { throughput: number; p50Ms: number; p99Ms: number; errors: number }>;
    // Per round the two arms ran back to back: the ratio is the median of those pairs.
    const ratio = median(results['cache-hits'].map((r, i) => r.throughput / (results.passthrough[i] as LoadResult).throughput));
    const goalMet = ratio >= 2 && summary['cache-hits'].p50Ms < summary.passthrough.p50Ms && summary['cache-hits'].errors === 0;

    console.log(`\neth_getBlockByNumber of a final block (~10 kB), concurrency ${CONCURRENCY}, ${ROUNDS} rounds of ${DURATION_MS} ms`);
    console.log('arm          req/s    p50 ms   p99 ms   errors');
    for (const [arm, s] of Object.entries(summary)) {
      console.log(`${arm.padEnd(12)} ${String(s.throughput).padStart(6)}   ${s.p50Ms.toFixed(2).padStart(6)}   ${s.p99Ms.toFixed(2).padStart(6)}   ${String(s.errors).padStart(6)}`);
    }
    console.log(`\ncache hits / pass-through throughput ratio: ${ratio.toFixed(2)} (cache misses over the whole run: ${misses})`);
    console.log(`memory per cached entry: ${memory.rssBytesPerEntry} B of RSS growth, ${memory.countedBytesPerEntry} B counted by the cache (${memory.entries} entries)`);
    console.log(`goal (>= 2x pass-through throughput and a lower p50): ${goalMet ? 'met' : 'NOT met'}`);
    console.log(JSON.stringify({ bench: 'cache', generator: generatorInfo(), durationMs: DURATION_MS, concurrency: CONCURRENCY, rounds: ROUNDS, summary, ratio: +ratio.toFixed(3), misses, memory, goalMet }));
  } finally {
    for (const t of [upstream, passthrough, lasso]) t.child.kill('SIGKILL');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
