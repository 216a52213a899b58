/**
 * npm run bench:ws — what Lasso's client WebSocket side costs, next to a plain `ws` broadcast
 * server measured the same way in the same run:
 *   - memory per idle client connection and per subscription (server process, after full GCs);
 *   - newHeads fan-out latency p50/p99 to 1,000 and 10,000 subscribers on one server process.
 *
 * Lasso runs in one child process (ws-server.js, --expose-gc), the clients in another
 * (ws-clients.js); this process coordinates over IPC and, in `engine` mode, runs the devnet.
 * See METHOD below for what the numbers mean.
 *
 * Environment: BENCH_WS_MODES (default "bare,front,engine"), BENCH_WS_SIZES ("1000,10000"),
 * BENCH_WS_ROUNDS (30), BENCH_WS_MEMORY_CONNECTIONS (10000), BENCH_WS_SERVER_ARGS (e.g. --cpu-prof).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generatorInfo } from '../battle/environment.js';
import { Devnet } from '../devnet/index.js';
import type { BenchServerMode } from './ws-server.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./ws-server.js', import.meta.url));
const CLIENTS_SCRIPT = fileURLToPath(new URL('./ws-clients.js', import.meta.url));
const MODES = (process.env.BENCH_WS_MODES ?? 'bare,front,engine').split(',') as BenchServerMode[];
const SIZES = (process.env.BENCH_WS_SIZES ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_WS_ROUNDS ?? 30);
const WARMUP_ROUNDS = 3;
const MEMORY_CONNECTIONS = Number(process.env.BENCH_WS_MEMORY_CONNECTIONS ?? 10_000);
const ROUND_TIMEOUT_MS = 30_000;

const METHOD = `METHOD
- The server runs alone in a child process; the WebSocket clients run in a second child process; a
  third process coordinates (and runs the devnet in engine mode). 2 cores here, so the server and
  the clients each get about one.
- Three modes, one after the other. bare: the reference, no Lasso: a plain \`ws\` server that answers
  eth_subscribe and broadcasts each header as a hand-written Node server would (one JSON.stringify,
  then one string and one ws send per subscriber); it is the cost of putting one message on N
  loopback sockets from one Node process on this machine, which Lasso cannot go below. front: the chain's subscription engine is a fan-out-only stand-in that hands one
  ~1.2 KB synthetic header object to every client sink, so the figures are the WebSocket front's own
  cost (registry, one JSON serialization shared by all subscribers, per-socket framing and write,
  send-buffer check). engine: the real SubscriptionEngine with a 1-node anvil devnet upstream over WS;
  the coordinator mines a block per round, the engine receives it and fans it out through the front.
- Fan-out latency of one notification = client CLOCK_MONOTONIC at its 'message' event minus the server's
  CLOCK_MONOTONIC when the fan-out of that block started (its first sink delivery); both processes
  read the same system clock. Upstream latency (node -> Lasso) is not included. Every subscriber has
  its own connection (N subscribers = N sockets). Rounds are sequential; the first ${WARMUP_ROUNDS} are
  warm-up. p50/p99/max are over all notifications of the measured rounds; "last" is the latency of the
  round's last subscriber (the whole fan-out), median over rounds. "own" is measured inside
  the server: from the start of a block's fan-out (its first sink delivery; in front mode that is the
  block's arrival) to the return of its last socket write (the front writes once per event-loop
  turn), median and worst over rounds; "CPU" is the CPU time the server process spent in that span
  (median), which is what it costs on an otherwise idle core: on a busy machine the wall time also
  holds the time the process waited for a core. The clients share one event loop,
  so later sockets of a round also wait for earlier ones to be handled, as in any one-process consumer.
- Memory: heap = heapUsed + external of the server process, rss = whole process; deltas after two full
  GCs: N idle connections vs. none, then the same connections with one newHeads subscription each vs.
  idle (engine mode includes the engine's per-subscription state). Kernel socket buffers are in neither.`;

interface Child {
  proc: ChildProcess;
  /** The child's first message ({ ready: true, ... }). */
  ready: Record<string, unknown>;
  ask<T>(msg: object, key: string, timeoutMs?: number): Promise<T>;
}

function start(script: string, args: string[] = [], execArgv: string[] = []): Promise<Child> {
  const proc = fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(msg: object, key: string, timeoutMs = 120_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.off('message', onMessage);
        reject(new Error(`no "${key}" from ${script} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (m: Record<string, unknown>): void => {
        if (m.error !== undefined) {
          clearTimeout(timer);
          proc.off('message', onMessage);
          reject(new Error(String(m.error)));
        } else if (key in m) {
          clearTimeout(timer);
          proc.off('message', onMessage);
          resolve(m[key] as T);
        }
      };
      proc.on('message', onMessage);
      if (Object.keys(msg).length > 0) proc.send(msg);
    });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    proc.on('message', (m: Record<string, unknown>) => {
      if (m.ready) resolve({ proc, ask, ready: m });
    });
  });
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

interface FanOutResult {
  mode: BenchServerMode;
  subscribers: number;
  rounds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  lastSubscriberP50Ms: number;
  /** The server's own time, fan-out start to its last socket write: median and worst over rounds. */
  ownP50Ms: number;
  ownMaxMs: number;
  /** CPU time Lasso spent on it (user + system), median over rounds: what it costs on an idle core. */
  ownCpuP50Ms: number;
}

interface MemoryResult {
  mode: BenchServerMode;
  connections: number;
  perConnection: { heapKiB: number; rssKiB: number };
  perSubscription: { heapKiB: number; rssKiB: number };
}

async function fanOut(mode: BenchServerMode, server: Child, clients: Child, subscribers: number, devnet: Devnet | undefined): Promise<FanOutResult> {
  const all: number[] = [];
  const lasts: number[] = [];
  const owns: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    await clients.ask({ cmd: 'round', expect: subscribers }, 'armed');
    const done = clients.ask<{ number: number; stampsNs: number[] }>({}, 'round', ROUND_TIMEOUT_MS);
    if (devnet) {
      await devnet.mineBlock();
    } else {
      const emitted = await server.ask<{ delivered: number; refused: number }>({ cmd: 'emit', round }, 'emitted');
      if (emitted.delivered !== subscribers || emitted.refused > 0) {
        throw new Error(`round ${round}: delivered ${emitted.delivered}, refused ${emitted.refused}, expected ${subscribers}`);
      }
    }
    const { number, stampsNs } = await done;
    const stamps = await server.ask<{ start: string; lastWrite: string; cpuMicros: number } | null>({ cmd: 't0', number }, 't0');
    if (stamps === null) throw new Error(`no fan-out stamp for block ${number}`);
    const t0 = Number(stamps.start);
    if (round < WARMUP_ROUNDS) continue;
    owns.push((Number(stamps.lastWrite) - t0) / 1e6);
    cpus.push(stamps.cpuMicros / 1000);
    let last = 0;
    for (const s of stampsNs) {
      const ms = (s - t0) / 1e6;
      all.push(ms);
      if (ms > last) last = ms;
    }
    lasts.push(last);
    // Let both processes go idle between rounds, as between blocks.
    await new Promise((r) => setTimeout(r, 20));
  }
  const sorted = Float64Array.from(all).sort();
  return {
    mode,
    subscribers,
    rounds: ROUNDS,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
    lastSubscriberP50Ms: quantile(Float64Array.from(lasts).sort(), 0.5),
    ownP50Ms: quantile(Float64Array.from(owns).sort(), 0.5),
    ownMaxMs: Math.max(...owns),
    ownCpuP50Ms: quantile(Float64Array.from(cpus).sort(), 0.5),
  };
}

async function memory(server: Child): Promise<{ rss: number; heap: number }> {
  const m = await server.ask<NodeJS.MemoryUsage>({ cmd: 'mem' }, 'mem');
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

async function waitForServerConnections(server: Child, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const stats = await server.ask<{ front: { connections: number } }>({ cmd: 'stats' }, 'stats');
    if (stats.front.connections === n) return;
    if (Date.now() > deadline) throw new Error(`server still has ${stats.front.connections} connections, expected ${n}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runMode(mode: BenchServerMode, memoryResults: MemoryResult[], fanOutResults: FanOutResult[]): Promise<void> {
  const devnet = mode === 'engine' ? await Devnet.start({ nodes: 1 }) : undefined;
  const node = devnet?.nodes()[0];
  const args = node && devnet ? [mode, JSON.stringify({ chainId: devnet.chainId, url: node.httpUrl, wsUrl: node.wsUrl })] : [mode];
  const extraArgs = (process.env.BENCH_WS_SERVER_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const server = await start(SERVER_SCRIPT, args, ['--expose-gc', ...extraArgs]);
  const clients = await start(CLIENTS_SCRIPT);
  const url = String(server.ready.url);
  try {
    if (MEMORY_CONNECTIONS > 0) {
      // One subscription first, so the engine's shared upstream stream exists in the baseline.
      await clients.ask({ cmd: 'open', url, count: 1 }, 'opened');
      await clients.ask({ cmd: 'subscribe', perConn: 1 }, 'subscribed');
      const base = await memory(server);
      await clients.ask({ cmd: 'open', url, count: MEMORY_CONNECTIONS }, 'opened');
      await waitForServerConnections(server, MEMORY_CONNECTIONS + 1);
      const idle = await memory(server);
      await clients.ask({ cmd: 'subscribe', perConn: 1, from: 1 }, 'subscribed');
      const subscribed = await memory(server);
      const n = MEMORY_CONNECTIONS;
      memoryResults.push({
        mode,
        connections: n,
        perConnection: { heapKiB: (idle.heap - base.heap) / n / 1024, rssKiB: (idle.rss - base.rss) / n / 1024 },
        perSubscription: { heapKiB: (subscribed.heap - idle.heap) / n / 1024, rssKiB: (subscribed.rss - idle.rss) / n / 1024 },
      });
      process.stderr.write(`[${mode}] memory: ${n} idle connections, then one subscription each: done\n`);
      await clients.ask({ cmd: 'close' }, 'closed');
      await waitForServerConnections(server, 0);
    }
    for (const n of SIZES) {
      await clients.ask({ cmd: 'open', url, count: n }, 'opened');
      await clients.ask({ cmd: 'subscribe', perConn: 1 }, 'subscribed');
      const r = await fanOut(mode, server, clients, n, devnet);
      fanOutResults.push(r);
      process.stderr.write(`[${mode}] fan-out to ${n}: server's own ${r.ownP50Ms.toFixed(2)} ms (worst ${r.ownMaxMs.toFixed(2)}, CPU ${r.ownCpuP50Ms.toFixed(2)}), client p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms\n`);
      await clients.ask({ cmd: 'close' }, 'closed');
      await waitForServerConnections(server, 0);
    }
  } finally {
    // SIGTERM: the server exits cleanly, so that --cpu-prof can write its profile.
    server.proc.kill('SIGTERM');
    clients.proc.kill('SIGKILL');
    await devnet?.stop();
  }
}

async function main(): Promise<void> {
  const memoryResults: MemoryResult[] = [];
  const fanOutResults: FanOutResult[] = [];
  for (const mode of MODES) await runMode(mode, memoryResults, fanOutResults);

  console.log(`\n${METHOD}\n`);
  console.log('mode     connections   per idle connection (heap / rss KiB)   per subscription (heap / rss KiB)');
  for (const m of memoryResults) {
    console.log(
      `${m.mode.padEnd(8)} ${String(m.connections).padStart(11)}   ${m.perConnection.heapKiB.toFixed(2).padStart(16)} / ${m.perConnection.rssKiB.toFixed(2).padEnd(17)}   ${m.perSubscription.heapKiB.toFixed(2).padStart(13)} / ${m.perSubscription.rssKiB.toFixed(2)}`,
    );
  }
  console.log('\n                       server own ms                client-observed ms');
  console.log('mode     subscribers   median    worst   CPU      p50 ms   p99 ms   max ms   last-subscriber p50 ms   rounds');
  for (const r of fanOutResults) {
    console.log(
      `${r.mode.padEnd(8)} ${String(r.subscribers).padStart(11)}   ${r.ownP50Ms.toFixed(2).padStart(6)}   ${r.ownMaxMs.toFixed(2).padStart(6)}   ${r.ownCpuP50Ms.toFixed(2).padStart(6)}   ${r.p50Ms.toFixed(2).padStart(6)}   ${r.p99Ms.toFixed(2).padStart(6)}   ${r.maxMs.toFixed(2).padStart(6)}   ${r.lastSubscriberP50Ms.toFixed(2).padStart(22)}   ${r.rounds}`,
    );
  }
  const bare = new Map(fanOutResults.filter((r) => r.mode === 'bare').map((r) => [r.subscribers, r]));
  if (bare.size > 0) {
    console.log('\nAgainst the bare ws broadcast server (ratio of medians; 1.00 = as fast as the reference)');
    console.log('mode     subscribers   own time ×bare   client p99 ×bare');
    for (const r of fanOutResults) {
      const ref = bare.get(r.subscribers);
      if (r.mode === 'bare' || ref === undefined) continue;
      console.log(`${r.mode.padEnd(8)} ${String(r.subscribers).padStart(11)}   ${(r.ownP50Ms / ref.ownP50Ms).toFixed(2).padStart(14)}   ${(r.p99Ms / ref.p99Ms).toFixed(2).padStart(16)}`);
    }
  }
  const round = (v: number): number => +v.toFixed(3);
  console.log(
    JSON.stringify({
      bench: 'ws',
      generator: generatorInfo(),
      memory: memoryResults.map((m) => ({ ...m, perConnection: { heapKiB: round(m.perConnection.heapKiB), rssKiB: round(m.perConnection.rssKiB) }, perSubscription: { heapKiB: round(m.perSubscription.heapKiB), rssKiB: round(m.perSubscription.rssKiB) } })),
      fanOut: fanOutResults.map((r) => ({ ...r, p50Ms: round(r.p50Ms), p99Ms: round(r.p99Ms), maxMs: round(r.maxMs), lastSubscriberP50Ms: round(r.lastSubscriberP50Ms), ownP50Ms: round(r.ownP50Ms), ownMaxMs: round(r.ownMaxMs), ownCpuP50Ms: round(r.ownCpuP50Ms) })),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
