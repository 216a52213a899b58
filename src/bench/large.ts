/**
 * npm run bench:large — large answers (eth_getLogs results of about 100 KB, 2 MB and 20 MB) through
 * Lasso and through the bare pass-through, arms alternating in every round of one run, medians over
 * rounds. Per size: throughput and p99 ratios, and Lasso's RSS under load (peak minus idle) against
 * the bytes in flight (concurrency x answer size). A third arm runs Lasso with gzip on both sides
 * (an upstream that compresses, a client that accepts it): bytes on the wire per answer, latency on
 * this loopback (where compressing only costs CPU), and the transfer time it saves on a slower link.
 * CPU time per request of the server under test (its process's user + system time over the round,
 * divided by the answers) is reported too: unlike throughput, it hardly moves when the machine is
 * busy with other work.
 * The response cache and coalescing are off: every client request costs one upstream answer.
 */
import { generatorInfo } from '../battle/environment.js';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';
import { LARGE_ANSWER_SIZES } from './large-upstream.js';
import type { LargeAnswerSize } from './large-upstream.js';
import { askTarget, median, startTarget } from './target-process.js';
import type { TargetProcess } from './target-process.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZES = (process.env.BENCH_SIZES?.split(',') ?? Object.keys(LARGE_ANSWER_SIZES)) as LargeAnswerSize[];
/** A link speed to turn bytes saved into time saved (100 Mbit/s, a typical cross-region share). */
const LINK_BITS_PER_SECOND = 100e6;
const RSS_SAMPLE_MS = 20;

const gunzipAsync = promisify(gunzip);
const RESULT_END = Buffer.from(']}');

type ArmName = 'passthrough' | 'lasso' | 'lasso-gzip';

interface ArmRound {
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Bytes received per answer, as sent (compressed on the gzip arm). */
  wireBytesPerAnswer: number;
  /** Peak RSS during the round minus RSS just before it, in bytes. */
  rssGrowthBytes: number;
  /** The server's CPU time (user + system) over the round per answer, in ms. */
  cpuMsPerRequest: number;
}

async function measure(server: TargetProcess, url: string, size: LargeAnswerSize, gzip: boolean): Promise<ArmRound> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: CONCURRENCY, pipelining: 1 });
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: size }] });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (gzip) headers['accept-encoding'] = 'gzip';
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  let measuring = false;
  let requests = 0;
  let errors = 0;
  let wireBytes = 0;

  const one = async (): Promise<void> => {
    const started = process.hrtime.bigint();
    let ok = false;
    let received = 0;
    try {
      const res = await pool.request({ path: `${target.pathname}${target.search}`, method: 'POST', headers, body });
      const chunks: Buffer[] = [];
      for await (const chunk of res.body) {
        chunks.push(chunk as Buffer);
        received += (chunk as Buffer).length;
      }
      let answer = Buffer.concat(chunks);
      if (res.headers['content-encoding'] === 'gzip') answer = await gunzipAsync(answer);
      // A cheap completeness check, the result's start and end (parsing 20 MB here would make the
      // load generator the bottleneck); Lasso's tests check the bytes themselves.
      ok = res.statusCode === 200 && answer.subarray(0, 64).includes('"result":[') && answer.subarray(-2).equals(RESULT_END);
    } catch {
      ok = false;
    }
    if (!measuring) return;
    requests++;
    wireBytes += received;
    if (!ok) errors++;
    histogram.recordValue(Number(process.hrtime.bigint() - started) / 1000);
  };
  const runFor = async (ms: number): Promise<void> => {
    const end = performance.now() + ms;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) await one();
    }));
  };

  try {
    await runFor(WARMUP_MS);
    const idle = await askTarget(server, 'rss');
    let peak = idle;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await askTarget(server, 'rss'));
        await new Promise((resolve) => setTimeout(resolve, RSS_SAMPLE_MS));
      }
    })();
    const cpuBefore = await askTarget(server, 'cpu');
    measuring = true;
    const started = performance.now();
    await runFor(DURATION_MS);
    const durationMs = performance.now() - started;
    measuring = false;
    const cpu = await askTarget(server, 'cpu');
    sampling = false;
    await sampler;
    return {
      throughput: requests / (durationMs / 1000),
      p50Ms: histogram.getValueAtPercentile(50) / 1000,
      p99Ms: histogram.getValueAtPercentile(99) / 1000,
      errors,
      wireBytesPerAnswer: requests > 0 ? wireBytes / requests : 0,
      rssGrowthBytes: Math.max(0, peak - idle),
      cpuMsPerRequest: requests > 0 ? (cpu.user + cpu.system - cpuBefore.user - cpuBefore.system) / 1000 / requests : 0,
    };
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const plainUpstream = await startTarget('large-upstream');
  const gzipUpstream = await startTarget('large-upstream-gzip');
  const passthrough = await startTarget('passthrough', plainUpstream.url);
  const lasso = await startTarget('lasso', plainUpstream.url, gzipUpstream.url);
  const arms: Array<{ name: ArmName; server: TargetProcess; url: string; gzip: boolean }> = [
    { name: 'passthrough', server: passthrough, url: passthrough.url, gzip: false },
    { name: 'lasso', server: lasso, url: lasso.url, gzip: false },
    { name: 'lasso-gzip', server: lasso, url: lasso.url.replace(/\/rpc\/bench$/, '/rpc/bench-gz'), gzip: true },
  ];
  const rounds = new Map<string, ArmRound[]>();
  try {
    for (const size of SIZES) {
      for (let round = 0; round < ROUNDS; round++) {
        const order = [...arms.slice(round % arms.length), ...arms.slice(0, round % arms.length)];
        for (const arm of order) {
          const r = await measure(arm.server, arm.url, size, arm.gzip);
          const key = `${size}/${arm.name}`;
          rounds.set(key, [...(rounds.get(key) ?? []), r]);
          process.stderr.write(
            `${size.padEnd(6)} round ${round + 1} ${arm.name.padEnd(11)} ${r.throughput.toFixed(1).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(1).padStart(7)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms  rss +${(r.rssGrowthBytes / 1e6).toFixed(0)} MB  cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req  wire ${(r.wireBytesPerAnswer / 1e6).toFixed(2)} MB  errors ${r.errors}\n`,
          );
        }
      }
    }
  } finally {
    for (const t of [plainUpstream, gzipUpstream, passthrough, lasso]) t.child.kill('SIGKILL');
  }

  const sizes = SIZES.map((size) => summarise(size, (arm) => rounds.get(`${size}/${arm}`) ?? []));
  console.log('\nLasso runs with its response cache and coalescing off: every request costs one upstream answer.');
  console.log('\nsize    arm          req/s    p50 ms    p99 ms   rss growth   cpu ms/req   wire/answer');
  for (const s of sizes) {
    for (const [arm, a] of Object.entries(s.arms)) {
      console.log(
        `${s.size.padEnd(7)} ${arm.padEnd(11)} ${a.throughput.toFixed(1).padStart(7)} ${a.p50Ms.toFixed(1).padStart(9)} ${a.p99Ms.toFixed(1).padStart(9)} ${`${(a.rssGrowthBytes / 1e6).toFixed(0)} MB`.padStart(12)} ${a.cpuMsPerRequest.toFixed(2).padStart(12)} ${`${(a.wireBytesPerAnswer / 1e6).toFixed(2)} MB`.padStart(13)}`,
      );
    }
    console.log(
      `        Lasso/pass-through: throughput ${s.throughputRatio.toFixed(2)}x, p99 ${s.p99Ratio.toFixed(2)}x, CPU per request ${s.cpuRatio.toFixed(2)}x; RSS growth ${s.rssPerBytesInFlight.toFixed(2)}x the ${(s.bytesInFlight / 1e6).toFixed(0)} MB in flight; gzip: ${s.gzip.wireRatio.toFixed(2)} of the bytes, ${s.gzip.savedMsAtLink.toFixed(0)} ms saved per answer at 100 Mbit/s (${s.gzip.loopbackP50DeltaMs >= 0 ? '+' : ''}${s.gzip.loopbackP50DeltaMs.toFixed(1)} ms p50 on loopback)${s.goalMet ? '' : '  [goal not met]'}`,
    );
  }
  const goalMet = sizes.every((s) => s.goalMet);
  console.log(`\ngoal (>= 0.9x throughput at 2 MB and 20 MB, p99 within 1.2x, RSS growth <= 2x bytes in flight): ${goalMet ? 'met' : 'NOT met'}`);
  console.log(JSON.stringify({ bench: 'large', generator: generatorInfo(), cache: 'off', durationMs: DURATION_MS, concurrency: CONCURRENCY, rounds: ROUNDS, goalMet, sizes }));
}

function summarise(size: LargeAnswerSize, of: (arm: ArmName) => ArmRound[]) {
  const medianOf = (rs: ArmRound[], f: (r: ArmRound) => number): number => median(rs.map(f));
  const arms = Object.fromEntries(
    (['passthrough', 'lasso', 'lasso-gzip'] as const).map((arm) => {
      const rs = of(arm);
      return [
        arm,
        {
          throughput: +medianOf(rs, (r) => r.throughput).toFixed(2),
          p50Ms: +medianOf(rs, (r) => r.p50Ms).toFixed(2),
          p99Ms: +medianOf(rs, (r) => r.p99Ms).toFixed(2),
          errors: rs.reduce((n, r) => n + r.errors, 0),
          rssGrowthBytes: Math.round(medianOf(rs, (r) => r.rssGrowthBytes)),
          wireBytesPerAnswer: Math.round(medianOf(rs, (r) => r.wireBytesPerAnswer)),
          cpuMsPerRequest: +medianOf(rs, (r) => r.cpuMsPerRequest).toFixed(2),
        },
      ];
    }),
  ) as Record<ArmName, { throughput: number; p50Ms: number; p99Ms: number; errors: number; rssGrowthBytes: number; wireBytesPerAnswer: number; cpuMsPerRequest: number }>;
  // Lasso and the pass-through ran back to back in every round: ratios are medians of those pairs.
  const pairs = of('lasso').map((l, i) => ({ l, p: of('passthrough')[i] as ArmRound }));
  const throughputRatio = median(pairs.map(({ l, p }) => l.throughput / p.throughput));
  const p99Ratio = median(pairs.map(({ l, p }) => l.p99Ms / p.p99Ms));
  const cpuRatio = median(pairs.map(({ l, p }) => l.cpuMsPerRequest / p.cpuMsPerRequest));
  const bytesInFlight = CONCURRENCY * LARGE_ANSWER_SIZES[size];
  const rssPerBytesInFlight = arms.lasso.rssGrowthBytes / bytesInFlight;
  const plainWire = arms.lasso.wireBytesPerAnswer;
  const gzipWire = arms['lasso-gzip'].wireBytesPerAnswer;
  const loopbackP50DeltaMs = arms['lasso-gzip'].p50Ms - arms.lasso.p50Ms;
  const savedMsAtLink = ((plainWire - gzipWire) * 8 * 1000) / LINK_BITS_PER_SECOND - loopbackP50DeltaMs;
  const judged = size !== '100kb';
  const clean = arms.lasso.errors === 0 && arms.passthrough.errors === 0;
  const goalMet = !judged || (clean && throughputRatio >= 0.9 && p99Ratio <= 1.2 && rssPerBytesInFlight <= 2);
  return {
    size,
    bytesInFlight,
    arms,
    throughputRatio: +throughputRatio.toFixed(3),
    p99Ratio: +p99Ratio.toFixed(3),
    cpuRatio: +cpuRatio.toFixed(3),
    rssPerBytesInFlight: +rssPerBytesInFlight.toFixed(3),
    gzip: { wireRatio: +(gzipWire / plainWire).toFixed(3), loopbackP50DeltaMs: +loopbackP50DeltaMs.toFixed(2), savedMsAtLink: +savedMsAtLink.toFixed(1) },
    goalMet,
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
