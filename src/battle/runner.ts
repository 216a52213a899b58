import type { Hex } from 'viem';
import { checkNewHeads } from '../chaos/checker/index.js';
import type { NewHeadsReport } from '../chaos/checker/index.js';
import { ScenarioSetupError, check, providerConditions, scenario, serializeEntry } from '../chaos/scenario/index.js';
import type { ScenarioCluster, ScenarioOptions, ScenarioRun } from '../chaos/scenario/index.js';
import { analyzeFaults } from './analysis/faults.js';
import type { FaultAnalysis } from './analysis/faults.js';
import { checkMetricsAccuracy } from './analysis/metrics-accuracy.js';
import type { MetricAccuracy } from './analysis/metrics-accuracy.js';
import { summarizeSubscriptions } from './analysis/subscriptions.js';
import type { SubscriptionsSummary } from './analysis/subscriptions.js';
import { ARMS } from './arms/index.js';
import type { ArmId, ArmInstance, HeadWatcher } from './arms/index.js';
import type { ReadonlyGroundTruth } from '../devnet/index.js';
import { compareWithBaseline } from './baseline.js';
import { checkConsistencyMix, needsConsistencyProbe, startConsistencyProbe } from './consistency.js';
import type { ConsistencyRun } from './consistency.js';
import type { Baseline } from './baseline.js';
import { battleEnvironment, generatorInfo } from './environment.js';
import { progressInterval, progressLine } from './progress.js';
import { BATTLE_RESULT_SCHEMA, BATTLE_RESULT_SCHEMA_VERSION } from './result-types.js';
import type { ArmResult, BattleResult } from './result-types.js';
import type { BattleScenario } from './scenario-types.js';
import { evaluateSlos } from './slo.js';
import { launchLassoChild } from './lasso-child.js';
import { SoakSampler, analyzeSoak } from './soak.js';
import type { SoakSample } from './soak.js';
import { formatMs, formatPct } from './units.js';
import { errorMessage } from '../error-message.js';

export interface BattleOptions {
  scenario: BattleScenario;
  /** Run every arm (pinned, viem fallback, ethers FallbackProvider, Lasso) on the same workload and chaos. @default false */
  compare?: boolean;
  /** Arms of a comparison, in run order. @default Lasso, pinned, viem-fallback, ethers-fallback */
  arms?: ArmId[];
  /** Receives progress and status lines. */
  onLine?: (line: string) => void;
  /** @default 5 s (2 s for runs under 30 s) */
  progressIntervalMs?: number;
  /** Earlier runs to compare with: a baseline file, or one earlier result. */
  baseline?: { file: string; result: Baseline | BattleResult };
  /** Relative tolerance of the baseline comparison. @default 0.1 */
  tolerance?: number;
  /** Told about the running cluster (undefined once it is gone), e.g. to tear it down on SIGINT. */
  onCluster?: (cluster: ScenarioCluster | undefined) => void;
  /** Told the live dashboard URL of the Lasso run as soon as its Lasso listens (before the workload starts). */
  onDashboard?: (url: string) => void;
  /** Wall clock, for the report id. @default Date.now */
  now?: () => number;
  /**
   * Run the Lasso arm's Lasso in a child process rather than in the harness's own. A soak always
   * does: it measures Lasso's process, which must not hold the workload's records.
   * @default false (true for a soak)
   */
  lassoChild?: boolean;
}

/** Runs a battle: the Lasso run (SLOs), then, with `compare`, each client-side arm; returns the result. */
export async function runBattle(options: BattleOptions): Promise<BattleResult> {
  const sc = options.scenario;
  const now = options.now ?? Date.now;
  const startedWall = now();
  const say = options.onLine ?? (() => undefined);
  const bucketMs = Math.max(1000, Math.ceil(sc.durationMs / 600 / 1000) * 1000);
  const progressMs = options.progressIntervalMs ?? progressInterval(sc.durationMs);
  // Lasso always runs (its run carries the SLOs), and first, so that a broken setup stops the battle early.
  const requested: ArmId[] = options.compare ? (options.arms ?? ['pinned', 'viem-fallback', 'ethers-fallback']) : [];
  const armOrder: ArmId[] = ['lasso', ...new Set(requested.filter((a) => a !== 'lasso'))];

  const base = (arm: ArmId): ScenarioOptions => ({
    name: `${sc.name}${arm === 'lasso' ? '' : `-${arm}`}`,
    title: sc.title,
    description: sc.description,
    seed: sc.seed,
    providers: sc.providers,
    ...(sc.lasso && { lasso: sc.lasso }),
    workload: {
      rate: sc.workload.rate,
      durationMs: sc.durationMs,
      mix: sc.workload.mix,
      ...(sc.workload.timeoutMs !== undefined && { timeoutMs: sc.workload.timeoutMs }),
      ...(sc.workload.strategy !== undefined && { strategy: sc.workload.strategy }),
      ...(sc.workload.logsRangeBlocks !== undefined && { logsRangeBlocks: sc.workload.logsRangeBlocks }),
    },
    chaos: sc.chaos,
    blockTimeMs: sc.blockTimeMs,
    ...(sc.txPerBlock !== undefined && { txPerBlock: sc.txPerBlock }),
    bucketMs,
    progressIntervalMs: progressMs,
    onProgress: (p) => say(progressLine(arm, p, sc.durationMs)),
  });

  let lasso: LassoRun | undefined;
  const arms: ArmResult[] = [];
  for (const arm of armOrder) {
    say(`[${arm}] starting: ${sc.providers.length} providers, ${sc.workload.rate} req/s for ${formatMs(sc.durationMs)}, seed ${sc.seed}`);
    if (arm === 'lasso') {
      const child = options.lassoChild === true || sc.soak !== undefined;
      lasso = await runLasso(sc, { ...base('lasso'), ...(child && { launchLasso: launchLassoChild }) }, options.onCluster, options.onDashboard);
      arms.push(armResult('lasso', lasso.run, lasso.faults, lassoBlocks(lasso.subscriptions), sc));
      say(`[lasso] done: ${summaryLine(arms[arms.length - 1]!)}`);
      continue;
    }
    try {
      const r = await runClientArm(arm, sc, base(arm), options.onCluster);
      arms.push(r);
      say(`[${arm}] done: ${summaryLine(r)}`);
    } catch (err) {
      const message = errorMessage(err);
      say(`[${arm}] could not run: ${message}`);
      arms.push(failedArm(arm, sc, message));
    }
  }
  if (!lasso) throw new ScenarioSetupError('the Lasso run did not happen');

  const { run, faults, subscriptions, metricsAccuracy, consistency } = lasso;
  const soak = sc.soak && lasso.soakSamples ? analyzeSoak(lasso.soakSamples, sc.soak, sc.durationMs, lasso.lassoPid) : undefined;
  const slos = evaluateSlos(sc.slos, { totals: run.result.totals, subscriptions, faults, metricsAccuracy, ...(soak && { soak }), ...(consistency && { consistency: consistency.summary }) });
  const partial = {
    lasso: run.result,
    subscriptions,
    faults,
    scenario: scenarioInfo(sc),
  };
  const baseline = options.baseline ? compareWithBaseline(partial, options.baseline.result, options.baseline.file, options.tolerance ?? 0.1) : undefined;
  const failed = [...slos.filter((s) => !s.passed).map((s) => s.id), ...(baseline?.regressions.map((m) => `baseline.${m}`) ?? [])];
  const finishedWall = now();
  return {
    schema: BATTLE_RESULT_SCHEMA,
    schemaVersion: BATTLE_RESULT_SCHEMA_VERSION,
    generator: generatorInfo(),
    id: `${stamp(startedWall)}-${sc.name}${options.compare ? '-compare' : ''}`,
    startedAt: new Date(startedWall).toISOString(),
    finishedAt: new Date(finishedWall).toISOString(),
    wallTimeMs: finishedWall - startedWall,
    environment: battleEnvironment(),
    scenario: partial.scenario,
    options: { compare: options.compare === true, ...(options.baseline && { baseline: options.baseline.file }), tolerance: options.tolerance ?? 0.1 },
    verdict: { passed: failed.length === 0, exitCode: failed.length === 0 ? 0 : 1, failed, inconclusive: slos.filter((s) => s.inconclusive).map((s) => s.id) },
    slos,
    faults,
    subscriptions,
    metricsAccuracy,
    ...(consistency && { consistency: { ...consistency.summary, requests: consistency.requests } }),
    ...(soak && { soak }),
    ...(options.compare && { comparison: { arms, note: comparisonNote(arms) } }),
    ...(baseline && { baseline }),
    lasso: run.result,
  };
}

interface LassoRun {
  run: ScenarioRun;
  faults: FaultAnalysis;
  subscriptions: SubscriptionsSummary;
  metricsAccuracy: MetricAccuracy[];
  consistency?: ConsistencyRun;
  soakSamples?: SoakSample[];
  lassoPid: number;
}

async function runLasso(sc: BattleScenario, options: ScenarioOptions, onCluster: BattleOptions['onCluster'], onDashboard: BattleOptions['onDashboard']): Promise<LassoRun> {
  let sampler: SoakSampler | undefined;
  let chain = '';
  let lassoPid = process.pid;
  let truth: ReadonlyGroundTruth | undefined;
  let run: ScenarioRun;
  const probe = needsConsistencyProbe(sc.slos);
  if (probe) checkConsistencyMix(sc.workload.mix);
  let consistencyProbe: ReturnType<typeof startConsistencyProbe> | undefined;
  try {
    run = await scenario({
      ...options,
      subscriptions: sc.subscriptions,
      ...(probe && { alongside: (cluster: ScenarioCluster) => (consistencyProbe = startConsistencyProbe(cluster, sc.seed, sc.slos)) }),
      prepare: (cluster) => {
        onCluster?.(cluster);
        truth = cluster.devnet.canonical;
        chain = cluster.chain;
        lassoPid = cluster.lasso.pid;
        onDashboard?.(`${cluster.lasso.url}/dashboard`);
        if (sc.soak) {
          sampler = new SoakSampler(cluster.lasso, upstreamPorts(cluster), sc.soak.intervalMs ?? 5000);
          sampler.start();
        }
      },
    });
  } finally {
    await sampler?.stop();
    onCluster?.(undefined);
  }
  const startWall = Date.parse(run.result.startedAt);
  // Samples after the workload ended describe teardown, not the soak.
  const soakSamples = sampler?.samples.map(({ wallMs, sample }) => ({ tMs: wallMs - startWall, ...sample })).filter((s) => s.tMs <= run.result.durationMs);
  // Stopped by the scenario already: this only hands over the findings.
  const consistency = await consistencyProbe?.stop();
  const faults = analyzeFaults({
    records: run.records,
    chaos: run.chaos,
    entries: sc.chaos,
    samples: run.samples,
    breakers: run.result.breakers,
    rate: sc.workload.rate,
    ...(sc.slos.disturbedLatencyMs !== undefined && { disturbedLatencyMs: sc.slos.disturbedLatencyMs }),
  });
  const minedAtMs = (hash: string): number | undefined => {
    const found = truth?.findByHash(hash as Hex);
    return found === undefined ? undefined : found.block.minedAtMs - startWall;
  };
  const subscriptions = summarizeSubscriptions(run.result.subscriptions, run.probes, run.result.timeSeries.bucketMs, sc.durationMs, minedAtMs);
  const metricsAccuracy = checkMetricsAccuracy({
    records: run.records,
    delta: run.metrics.delta,
    after: run.metrics.after,
    samples: run.samples,
    breakerChanges: run.result.breakers,
    notifications: run.probes.reduce((n, p) => n + p.notifications().length, 0),
    subscribers: run.probes.length,
    chain,
    ...(consistency && { otherRequests: { requests: consistency.requests, unanswered: consistency.unanswered } }),
  });
  return { run, faults, subscriptions, metricsAccuracy, ...(consistency && { consistency }), ...(soakSamples && { soakSamples }), lassoPid };
}

/** Ports of the providers' fault proxies: Lasso's sockets to its upstreams end there. */
function upstreamPorts(cluster: ScenarioCluster): number[] {
  return cluster.providers.flatMap((p) => [p.proxy.httpUrl, p.proxy.wsUrl]).map((url) => Number(new URL(url).port));
}

async function runClientArm(id: ArmId, sc: BattleScenario, options: ScenarioOptions, onCluster: BattleOptions['onCluster']): Promise<ArmResult> {
  const arm = ARMS[id];
  const watchBlocks = sc.subscriptions.some((s) => s.kind === 'newHeads');
  let instance: ArmInstance | undefined;
  let fromBlock = 0;
  let heads: NewHeadsReport | undefined;
  let run: ScenarioRun;
  try {
    run = await scenario({
      ...options,
      subscriptions: [],
      prepare: async (cluster) => {
        onCluster?.(cluster);
        instance = await arm.create({ cluster, pinTo: sc.compare?.pinTo ?? sc.providers[0]!.id, watchBlocks, blockTimeMs: sc.blockTimeMs });
        if (instance.heads) fromBlock = await primeWatcher(cluster, instance.heads);
      },
      target: () => {
        const inst = instance;
        if (!inst?.target) throw new ScenarioSetupError(`arm ${id} has no target`);
        return { name: inst.target.name, send: (call, o) => inst.target!.send(call, o), close: async () => inst.close() };
      },
      checks: watchBlocks
        ? [
            check(`${id}: newHeads delivery`, async (ctx) => {
              const watcher = instance?.heads;
              if (!watcher) return { passed: false, detail: 'no watcher' };
              const truth = ctx.cluster.devnet.canonical;
              const head = truth.head();
              await waitUntil(() => (watcher.highest() ?? -1) >= head, 5000 + sc.blockTimeMs);
              heads = checkNewHeads(watcher.heads(), truth, { from: fromBlock, to: head });
              return { passed: heads.ok, measured: `${heads.delivered}/${heads.expected}` };
            }),
          ]
        : [],
    });
  } finally {
    await instance?.close().catch(() => undefined);
    onCluster?.(undefined);
  }
  const faults = analyzeFaults({ records: run.records, chaos: run.chaos, entries: sc.chaos, samples: [], breakers: [], rate: sc.workload.rate });
  const blocks = heads
    ? {
        subscribers: 1,
        expected: heads.expected,
        delivered: heads.delivered,
        missed: heads.expected - heads.delivered,
        duplicates: heads.duplicateCount,
        maxGapBlocks: heads.maxGapBlocks,
        outOfOrder: heads.outOfOrder.length,
        watcherErrors: instance?.heads?.errors ?? 0,
      }
    : null;
  return armResult(id, run, faults, blocks, sc);
}

/** Mines until the watcher has seen a block (it is subscribed), and returns the first block it must deliver. */
async function primeWatcher(cluster: ScenarioCluster, watcher: HeadWatcher): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const block = await cluster.devnet.mineBlock();
    if (await waitUntil(() => (watcher.highest() ?? -1) >= block.number, 3000)) return block.number + 1;
  }
  throw new ScenarioSetupError(`${watcher.name} saw no new block within 15 s`);
}

/** Polls `predicate` every 20 ms until it holds (true) or `timeoutMs` passes (false). */
async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function lassoBlocks(subs: SubscriptionsSummary): ArmResult['blocks'] {
  const heads = subs.bySubscriber.filter((s) => s.kind === 'newHeads');
  if (heads.length === 0) return null;
  const worst = [...heads].sort((a, b) => b.missed - a.missed || b.duplicates - a.duplicates || b.maxGapBlocks - a.maxGapBlocks)[0]!;
  return { subscribers: heads.length, expected: worst.expected, delivered: worst.delivered, missed: worst.missed, duplicates: worst.duplicates, maxGapBlocks: worst.maxGapBlocks, outOfOrder: worst.outOfOrder };
}

function armResult(id: ArmId, run: ScenarioRun, faults: FaultAnalysis, blocks: ArmResult['blocks'], sc: BattleScenario): ArmResult {
  const t = run.result.totals;
  const failovers = faults.episodes.map((e) => e.failoverMs);
  const settled = failovers.filter((v): v is number => v !== null);
  return {
    arm: id,
    title: ARMS[id].title,
    description: ARMS[id].describe(sc.compare?.pinTo ?? sc.providers[0]!.id),
    ...(ARMS[id].note !== undefined && { note: ARMS[id].note }),
    startedAt: run.result.startedAt,
    durationMs: run.result.durationMs,
    requests: t.requests,
    success: t.success,
    rpcError: t.rpcError,
    failed: t.failed,
    successRatio: t.successRatio,
    answeredRatio: t.answeredRatio,
    latencyMs: t.latencyMs,
    errors: t.errors,
    topFailures: topFailures(run.records),
    blocks,
    failover: { worstMs: settled.length === 0 ? null : Math.max(...settled), unsettled: failovers.length - settled.length, episodes: failovers.length },
    timeSeries: {
      bucketMs: run.result.timeSeries.bucketMs,
      points: run.result.timeSeries.points.map((p) => ({ tMs: p.tMs, requests: p.requests, successRatio: p.successRatio, p50: p.latencyMs.p50, p95: p.latencyMs.p95, p99: p.latencyMs.p99 })),
    },
  };
}

function failedArm(id: ArmId, sc: BattleScenario, error: string): ArmResult {
  const zero = { count: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    arm: id,
    title: ARMS[id].title,
    description: ARMS[id].describe(sc.compare?.pinTo ?? sc.providers[0]!.id),
    ...(ARMS[id].note !== undefined && { note: ARMS[id].note }),
    startedAt: new Date().toISOString(),
    durationMs: 0,
    requests: 0,
    success: 0,
    rpcError: 0,
    failed: 0,
    successRatio: 0,
    answeredRatio: 0,
    latencyMs: zero,
    errors: {},
    topFailures: [],
    blocks: null,
    failover: { worstMs: null, unsettled: 0, episodes: 0 },
    timeSeries: { bucketMs: 1000, points: [] },
    error,
  };
}

function topFailures(records: ScenarioRun['records']): ArmResult['topFailures'] {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.outcome !== 'failed') continue;
    const detail = r.errorCode !== undefined ? `code ${r.errorCode}: ${r.errorMessage ?? ''}` : `${r.failure ?? 'unknown'}${r.failureDetail ? `: ${r.failureDetail}` : ''}`;
    counts.set(detail, (counts.get(detail) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([detail, count]) => ({ detail, count }));
}

function summaryLine(a: ArmResult): string {
  const blocks = a.blocks ? `, blocks missed ${a.blocks.missed}/${a.blocks.expected}, duplicates ${a.blocks.duplicates}` : '';
  return `${a.requests} requests, success ${formatPct(a.answeredRatio)}, p50 ${formatMs(a.latencyMs.p50)}, p95 ${formatMs(a.latencyMs.p95)}, p99 ${formatMs(a.latencyMs.p99)}${blocks}`;
}

/** A factual reading of the comparison table: who won what. */
export function comparisonNote(arms: readonly ArmResult[]): string {
  const ran = arms.filter((a) => !a.error);
  const lasso = ran.find((a) => a.arm === 'lasso');
  const clients = ran.filter((a) => a.arm !== 'lasso');
  if (!lasso || clients.length === 0) return 'Not enough arms ran to compare.';
  const lines: string[] = [];
  const bestSuccess = Math.max(...clients.map((a) => a.answeredRatio));
  const bestP99 = Math.min(...clients.map((a) => a.latencyMs.p99));
  const bestClient = (v: number, f: (a: ArmResult) => number) => clients.filter((a) => f(a) === v).map((a) => a.title).join(', ');
  lines.push(
    lasso.answeredRatio > bestSuccess
      ? `Success: Lasso ${formatPct(lasso.answeredRatio)} beats the best client-side arm (${bestClient(bestSuccess, (a) => a.answeredRatio)}, ${formatPct(bestSuccess)}).`
      : lasso.answeredRatio === bestSuccess
        ? `Success: Lasso ties the best client-side arm at ${formatPct(bestSuccess)} (${bestClient(bestSuccess, (a) => a.answeredRatio)}).`
        : `Success: Lasso ${formatPct(lasso.answeredRatio)} is below ${bestClient(bestSuccess, (a) => a.answeredRatio)} (${formatPct(bestSuccess)}).`,
  );
  lines.push(
    lasso.latencyMs.p99 <= bestP99
      ? `p99: Lasso ${formatMs(lasso.latencyMs.p99)} is at or below the best client-side arm (${bestClient(bestP99, (a) => a.latencyMs.p99)}, ${formatMs(bestP99)}).`
      : `p99: Lasso ${formatMs(lasso.latencyMs.p99)} is above the best client-side arm (${bestClient(bestP99, (a) => a.latencyMs.p99)}, ${formatMs(bestP99)}).`,
  );
  const withBlocks = clients.filter((a) => a.blocks);
  if (lasso.blocks && withBlocks.length > 0) {
    const fewest = Math.min(...withBlocks.map((a) => a.blocks!.missed + a.blocks!.duplicates));
    const mine = lasso.blocks.missed + lasso.blocks.duplicates;
    lines.push(
      mine < fewest
        ? `Blocks: Lasso's worst subscriber missed ${lasso.blocks.missed} and got ${lasso.blocks.duplicates} duplicates; the best client-side watcher had ${fewest} missed + duplicate.`
        : mine === fewest
          ? `Blocks: Lasso's worst subscriber ties the best client-side watcher (${mine} missed + duplicate).`
          : `Blocks: Lasso's worst subscriber had ${mine} missed + duplicate, more than the best client-side watcher (${fewest}).`,
    );
  }
  return lines.join(' ');
}

function scenarioInfo(sc: BattleScenario): BattleResult['scenario'] {
  return {
    name: sc.name,
    title: sc.title,
    description: sc.description,
    source: sc.source,
    seed: sc.seed,
    durationMs: sc.durationMs,
    rate: sc.workload.rate,
    mix: Object.fromEntries(Object.entries(sc.workload.mix).filter((e): e is [string, number] => typeof e[1] === 'number')),
    providers: sc.providers.map(providerConditions),
    blockTimeMs: sc.blockTimeMs,
    subscriptions: sc.subscriptions.map((s) => ({ kind: s.kind, ...(s.count !== undefined && { count: s.count }), ...(s.name !== undefined && { name: s.name }) })),
    chaos: sc.chaos.map(serializeEntry),
    slos: sc.slos,
    ...(sc.soak && { soak: sc.soak }),
  };
}

/** `20250102-030405Z`: sortable, safe in file names. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
}
