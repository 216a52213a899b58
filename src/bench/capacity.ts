/**
 * npm run bench:capacity — the highest request rate Lasso sustains within its SLO on one core.
 * Lasso runs in its own process pinned to CPU 0 (taskset); this process (the open-model load
 * generator) and the devnet's anvil nodes are pinned to the other CPUs. The offered rate ramps
 * up step by step until a step misses the SLO twice in a row.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CAPACITY_RESULT_SCHEMA, CAPACITY_RESULT_SCHEMA_VERSION, DEFAULT_CAPACITY_RATES, DEFAULT_CAPACITY_SLO, capacityMarkdown, capacityVerdict, judgeStep } from '../battle/capacity.js';
import type { CapacityResult, CapacitySlo, CapacityStep } from '../battle/capacity.js';
import { battleEnvironment, generatorInfo } from '../battle/environment.js';
import { parseDuration } from '../battle/units.js';
import { Devnet } from '../devnet/index.js';
import { requestTotals } from '../chaos/scenario/index.js';
import { DEFAULT_METHOD_MIX, Workload, createHttpTarget, createRunClock, deriveSeed, devnetWorkloadChain } from '../chaos/workload/index.js';
import type { RpcTarget, WorkloadChain } from '../chaos/workload/index.js';
import { errorMessage } from '../error-message.js';

const LASSO_BIN = fileURLToPath(new URL('../../bin/lasso.mjs', import.meta.url));
const BLOCK_TIME_MS = 1000;
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux this runs on). */
const CLOCK_TICKS = 100;

interface Options {
  out: string;
  stepMs: number;
  rates: number[];
  seed: number;
  slo: CapacitySlo;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: 'battle-results/capacity' },
      step: { type: 'string', default: '20s' },
      rates: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'p99-ms': { type: 'string' },
    },
    strict: true,
  });
  const rates = values.rates ? values.rates.split(',').map(Number) : DEFAULT_CAPACITY_RATES;
  if (rates.some((r) => !(r > 0))) throw new Error(`--rates must be positive numbers, got ${values.rates}`);
  return {
    out: values.out,
    stepMs: parseDuration(values.step),
    rates,
    seed: Number(values.seed),
    slo: { ...DEFAULT_CAPACITY_SLO, ...(values['p99-ms'] && { p99Ms: Number(values['p99-ms']) }) },
  };
}

/** CPU sets for Lasso and for the load side, or null when pinning is not possible here. */
function cpuSets(): { lasso: string; load: string } | null {
  const n = availableParallelism();
  if (n < 2) return null;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return { lasso: '0', load: n === 2 ? '1' : `1-${n - 1}` };
}

/** Starts `lasso start` with `configFile`, optionally under taskset; resolves with its URL. */
function startLasso(configFile: string, cpus: string | undefined): Promise<{ child: ChildProcess; url: string }> {
  const args = [LASSO_BIN, 'start', '--config', configFile];
  const child = cpus ? spawn('taskset', ['-c', cpus, process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error(`lasso did not start within 90 s: ${text.slice(-500)}`)), 90_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`lasso exited with ${code}: ${text.slice(-500)}`)));
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const m = /lasso listening on (http:\/\/\S+)/.exec(text);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeListener('error', fail);
      // Keep draining its warnings so that a full pipe never blocks it.
      child.stderr!.off('data', onData).resume();
      resolve({ child, url: m[1]! });
    };
    child.stderr!.on('data', onData);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used, from /proc; null where /proc is missing. */
async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

async function runStep(rate: number, index: number, o: Options, target: RpcTarget, chain: WorkloadChain, lassoPid: number): Promise<Omit<CapacityStep, 'passed' | 'failures'>> {
  const clock = createRunClock();
  const workload = new Workload({ rate, durationMs: o.stepMs, mix: DEFAULT_METHOD_MIX, timeoutMs: 5000 }, { target, chain, seed: deriveSeed(o.seed, `step:${index}`), clock });
  const lassoBefore = await processCpuSeconds(lassoPid);
  const loadBefore = process.cpuUsage();
  const started = performance.now();
  await workload.start();
  const wallS = (performance.now() - started) / 1000;
  const lassoAfter = await processCpuSeconds(lassoPid);
  const load = process.cpuUsage(loadBefore);
  const totals = requestTotals(workload.records);
  return {
    rate,
    durationMs: o.stepMs,
    requests: totals.requests,
    throughput: totals.requests / wallS,
    answeredRatio: totals.requests === 0 ? 0 : totals.answeredRatio,
    latencyMs: totals.latencyMs,
    errors: totals.errors,
    lassoCpu: lassoBefore === null || lassoAfter === null ? null : Math.round(((lassoAfter - lassoBefore) / wallS) * 100) / 100,
    loadCpu: Math.round(((load.user + load.system) / 1e6 / wallS) * 100) / 100,
  };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const pinning = cpuSets();
  // Pin this process first: the anvil nodes started below inherit its CPU set.
  if (pinning) execFileSync('taskset', ['-a', '-p', '-c', pinning.load, String(process.pid)], { stdio: 'ignore' });
  const startedAt = new Date().toISOString();
  const loadStart = loadavg().map((v) => Math.round(v * 100) / 100);
  const dir = await mkdtemp(join(tmpdir(), 'lasso-capacity-'));
  let devnet: Devnet | undefined;
  let lasso: ChildProcess | undefined;
  let target: RpcTarget | undefined;
  const steps: CapacityStep[] = [];
  try {
    devnet = await Devnet.start({ nodes: 3, blockTimeMs: BLOCK_TIME_MS });
    const configFile = join(dir, 'lasso.json');
    const config = {
      server: { host: '127.0.0.1', port: 0 },
      logging: { level: 'warn' },
      chains: { devnet: { chainId: devnet.chainId, headPollIntervalMs: 250, providers: devnet.nodes().map((n, i) => ({ id: n.id, url: n.httpUrl, wsUrl: n.wsUrl, priority: i })) } },
    };
    await writeFile(configFile, JSON.stringify(config));
    const started = await startLasso(configFile, pinning?.lasso);
    lasso = started.child;
    target = createHttpTarget({ url: `${started.url}/rpc/devnet` });
    const chain = await devnetWorkloadChain(devnet, { seed: deriveSeed(o.seed, 'transfers'), transactions: 0 });
    // Warm-up: JIT, connection pools and latency evidence, not judged.
    await runStep(200, -1, { ...o, stepMs: 3000 }, target, chain, lasso.pid!);
    let index = 0;
    for (const rate of o.rates) {
      let step = judgeStep(await runStep(rate, index++, o, target, chain, lasso.pid!), o.slo);
      steps.push(step);
      process.stderr.write(`${rate} req/s: ${step.passed ? 'PASS' : `FAIL (${step.failures.join('; ')})`}, p99 ${step.latencyMs.p99.toFixed(1)} ms, Lasso CPU ${step.lassoCpu ?? '?'}\n`);
      if (step.passed) continue;
      step = { ...judgeStep(await runStep(rate, index++, o, target, chain, lasso.pid!), o.slo), retry: true };
      steps.push(step);
      process.stderr.write(`${rate} req/s (retry): ${step.passed ? 'PASS' : `FAIL (${step.failures.join('; ')})`}\n`);
      if (!step.passed) break;
    }
  } finally {
    await target?.close();
    if (lasso) await stopChild(lasso);
    await devnet?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  const result: CapacityResult = {
    schema: CAPACITY_RESULT_SCHEMA,
    schemaVersion: CAPACITY_RESULT_SCHEMA_VERSION,
    generator: generatorInfo(),
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: { ...battleEnvironment(), loadAverage: { start: loadStart, end: loadavg().map((v) => Math.round(v * 100) / 100) } },
    pinning,
    setup: { providers: 3, mix: { ...DEFAULT_METHOD_MIX } as Record<string, number>, blockTimeMs: BLOCK_TIME_MS, stepMs: o.stepMs, seed: o.seed },
    slo: o.slo,
    steps,
    ...capacityVerdict(steps),
  };
  await mkdir(o.out, { recursive: true });
  const stem = join(o.out, `${startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-')}-capacity`);
  await writeFile(`${stem}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${stem}.md`, capacityMarkdown(result));
  process.stdout.write(`${capacityMarkdown(result)}\nReports:\n  ${stem}.json\n  ${stem}.md\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`capacity: ${errorMessage(err)}\n`);
  process.exitCode = 2;
});
