/**
 * npm run bench:overhead — what Lasso costs on the hot path, measured side by side in one run:
 * a fast static upstream hit directly, through a bare undici pass-through, and through Lasso.
 * Each server runs in its own process; the load generator runs here.
 */
import { generatorInfo } from '../battle/environment.js';
import { closedLoop } from './load.js';
import type { LoadResult } from './load.js';
import { askTarget, median, startTarget } from './target-process.js';
import type { TargetProcess as Target } from './target-process.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
// Arms take turns in every round and each figure is the median over rounds: on a shared machine a
// burst of outside load then spoils one round of one arm, not the comparison. Lasso and the
// pass-through always run back to back, each going first in every other round.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
/**
 * Every arm first runs this long unmeasured: the first seconds of a fresh process run colder code
 * (the pass-through's and the upstream's as much as Lasso's) and would count in round 1 only.
 */
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 5000);
/**
 * The measured request must reach the upstream through every arm: Lasso answers eth_blockNumber
 * from its own view of the chain, which would flatter it. eth_getBalance over distinct addresses
 * (built ahead, so the load generator does the same little work for every arm) is a read a client
 * really sends and that Lasso must forward.
 */
const METHOD = 'eth_getBalance';
const DISTINCT_ADDRESSES = 65_536;
const BODIES = Array.from({ length: DISTINCT_ADDRESSES }, (_, i) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: METHOD, params: [`0x${(i + 1).toString(16).padStart(40, '0')}`, 'latest'] }),
);
const body = (i: number): string => BODIES[i % DISTINCT_ADDRESSES]!;

async function cpuMicros(target: Target): Promise<number> {
  const cpu = await askTarget(target, 'cpu');
  return cpu.user + cpu.system;
}

async function measure(target: Target): Promise<LoadResult & { cpuMicrosPerRequest: number }> {
  const before = await cpuMicros(target);
  const result = await closedLoop({ url: target.url, body, concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: 1000 });
  const after = await cpuMicros(target);
  // Warm-up requests burn CPU too; count them out proportionally is not possible, so include them.
  const warmupShare = 1000 / (1000 + result.durationMs);
  return { ...result, cpuMicrosPerRequest: ((after - before) * (1 - warmupShare)) / Math.max(1, result.requests) };
}

async function main(): Promise<void> {
  console.log(`Measured request: ${METHOD} of ${DISTINCT_ADDRESSES} distinct addresses, cycled (every arm forwards it to the upstream).`);
  const upstream = await startTarget('upstream');
  const passthrough = await startTarget('passthrough', upstream.url);
  const lasso = await startTarget('lasso', upstream.url);
  const arms: Record<string, Target> = { direct: upstream, passthrough, lasso };
  const results: Record<string, ReturnType<typeof measure> extends Promise<infer R> ? R[] : never> = { direct: [], passthrough: [], lasso: [] };
  try {
    for (const target of Object.values(arms)) await closedLoop({ url: target.url, body, concurrency: CONCURRENCY, durationMs: WARMUP_MS, warmupMs: 0 });
    for (let round = 0; round < ROUNDS; round++) {
      const order = Object.entries(arms);
      for (const [name, target] of round % 2 === 0 ? order : order.reverse()) {
        const r = await measure(target);
        results[name]!.push(r);
        process.stderr.write(`round ${round + 1} ${name.padEnd(11)} ${r.throughput.toFixed(0)} req/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms errors ${r.errors}\n`);
      }
    }
  } finally {
    for (const t of Object.values(arms)) t.child.kill('SIGKILL');
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([name, rs]) => [
      name,
      {
        throughput: Math.round(median(rs.map((r) => r.throughput))),
        p50Ms: +median(rs.map((r) => r.p50Ms)).toFixed(3),
        p99Ms: +median(rs.map((r) => r.p99Ms)).toFixed(3),
        errors: rs.reduce((a, r) => a + r.errors, 0),
        cpuMicrosPerRequest: +median(rs.map((r) => r.cpuMicrosPerRequest)).toFixed(1),
      },
    ]),
  ) as Record<'direct' | 'passthrough' | 'lasso', { throughput: number; p50Ms: number; p99Ms: number; errors: number; cpuMicrosPerRequest: number }>;
  // Per round, Lasso and the pass-through ran back to back: the ratio is the median of those pairs.
  const roundRatios = results.lasso!.map((r, i) => r.throughput / (results.passthrough![i] as LoadResult).throughput);
  const ratio = median(roundRatios);
  console.log('\nLasso runs with its response cache and coalescing off: every request reaches the upstream, as through the pass-through.');
  console.log('\narm          req/s    p50 ms   p99 ms   errors   server CPU µs/req');
  for (const [name, s] of Object.entries(summary)) {
    console.log(`${name.padEnd(12)} ${String(s.throughput).padStart(6)}   ${s.p50Ms.toFixed(2).padStart(6)}   ${s.p99Ms.toFixed(2).padStart(6)}   ${String(s.errors).padStart(6)}   ${s.cpuMicrosPerRequest.toFixed(1).padStart(8)}`);
  }
  console.log(`\nLasso / pass-through throughput ratio: ${ratio.toFixed(3)} (goal >= 0.85), the median of ${ROUNDS} rounds`);
  const middle = roundRatios.length >= 4 ? quartiles(roundRatios) : undefined;
  console.log(`Per round: ${roundRatios.map((r) => r.toFixed(3)).join(' ')}${middle ? ` (middle half ${middle[0].toFixed(3)} to ${middle[1].toFixed(3)})` : ''}`);
  console.log(`Lasso CPU per request: ${summary.lasso.cpuMicrosPerRequest.toFixed(1)} µs (pass-through ${summary.passthrough.cpuMicrosPerRequest.toFixed(1)} µs)`);
  console.log(JSON.stringify({ bench: 'overhead', generator: generatorInfo(), cache: 'off', durationMs: DURATION_MS, concurrency: CONCURRENCY, warmupMs: WARMUP_MS, rounds: ROUNDS, summary, ratio: +ratio.toFixed(3), roundRatios: roundRatios.map((r) => +r.toFixed(3)) }));
}

/** First and third quartiles (medians of the lower and upper halves). */
function quartiles(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return [median(sorted.slice(0, half)), median(sorted.slice(sorted.length - half))];
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
