import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkLogs, checkNewHeads, headsFromNotifications, logsFromNotifications } from '../checker/index.js';
import type { BlockWindow, LogFilter } from '../checker/index.js';
import { createRunClock } from '../workload/clock.js';
import type { RunClock } from '../workload/clock.js';
import { devnetWorkloadChain } from '../workload/devnet-chain.js';
import { LatencyHistogram } from '../workload/latency.js';
import { DEFAULT_METHOD_MIX, MethodPicker } from '../workload/methods.js';
import type { RequestRecord } from '../workload/record.js';
import { deriveSeed } from '../workload/seed.js';
import { SubscriptionProbe } from '../workload/subscription-probe.js';
import { createHttpTarget } from '../workload/target.js';
import type { RpcTarget } from '../workload/target.js';
import { Workload } from '../workload/workload.js';
import type { WorkloadOptions, WorkloadProgress } from '../workload/workload.js';
import { runChecks } from './checks.js';
import type { CheckContext, CheckResult, ScenarioCheck } from './checks.js';
import { providerSpecs, startScenarioCluster } from './cluster.js';
import type { LassoLauncher, LassoOverrides, ProviderSpec, ScenarioCluster } from './cluster.js';
import { ScenarioConfigError, ScenarioSetupError } from './errors.js';
import { ProviderMonitor } from './monitor.js';
import type { ProviderSample } from './monitor.js';
import { diffSamples, scrapeMetrics } from './prometheus.js';
import type { MetricSample } from './prometheus.js';
import { environment, metricsSummary, providerResults, requestTotals, timeSeries, trimLists } from './result.js';
import { ChaosTimeline, serializeEntry, validateTimeline } from './timeline.js';
import type { ChaosEntry, ChaosEventRecord } from './timeline.js';
import { SCENARIO_RESULT_SCHEMA, SCENARIO_RESULT_SCHEMA_VERSION } from './types.js';
import type { ScenarioResult, SubscriptionResult } from './types.js';
import { errorMessage } from '../../error-message.js';

/** WebSocket subscribers that run alongside the HTTP workload and are checked against the ground truth. */
export interface SubscriptionSpec {
  kind: 'newHeads' | 'logs';
  /** Shown in reports. @default `<kind>-<i>` */
  name?: string;
  /** Filter for `logs`; `'emitter'` means the devnet's emitter contract (every ping writes one log). @default 'emitter' */
  filter?: LogFilter | 'emitter';
  /** Identical subscribers to open. @default 1 */
  count?: number;
}

/** Live numbers, reported every `progressIntervalMs` while the workload runs. */
export interface ScenarioProgress extends WorkloadProgress {
  /** p95 latency of the requests completed since the previous report, ms. */
  recentP95Ms: number;
  chaosEvents: number;
  lastChaos?: ChaosEventRecord;
}

export interface ScenarioOptions {
  /** Short identifier (file name of the result). */
  name: string;
  title?: string;
  /** What the scenario proves (goes into the result and the docs). */
  description?: string;
  /** Seeds every random choice: method mix, parameters, chaos jitter, fault probabilities, Lasso's own draws. */
  seed: number;
  /** @default 3 plain providers */
  providers?: number | ProviderSpec[];
  lasso?: LassoOverrides;
  /** Where Lasso runs, e.g. a child process. @default this process */
  launchLasso?: LassoLauncher;
  workload: WorkloadOptions & {
    /** Routing strategy put in the URL (`/rpc/<strategy>/<chain>`). @default the chain's default */
    strategy?: string;
  };
  /** @default [] */
  chaos?: ChaosEntry[];
  /** Block production driver: one block every this many ms while the workload runs; 0 = none. @default 1000 */
  blockTimeMs?: number;
  /** Ping transactions (one log each) per block. @default 2 */
  txPerBlock?: number;
  subscriptions?: SubscriptionSpec[];
  /** Methods counted at each provider's proxy (result: `providers[id].arrivals`). */
  countMethods?: string[];
  checks?: ScenarioCheck[];
  /** /api/providers poll interval, ms. @default 100 */
  pollIntervalMs?: number;
  /** Time-series bucket, ms. @default 1000 */
  bucketMs?: number;
  /** After the workload, how long subscribers get to catch up with the head, ms. @default 5000 */
  settleMs?: number;
  onProgress?: (progress: ScenarioProgress) => void;
  /** @default 1000 */
  progressIntervalMs?: number;
  /** When set, the result is written to `<resultsDir>/<name>.json`. */
  resultsDir?: string;
  /** Runs once the environment is ready, before subscriptions and the workload (e.g. take a provider down beforehand). */
  prepare?: (cluster: ScenarioCluster) => unknown;
  /** Send the workload somewhere else than Lasso's HTTP endpoint (e.g. a client-side fallback, for comparisons). */
  target?: (cluster: ScenarioCluster) => RpcTarget;
  /** Started with the workload and stopped as soon as it has completed, while the chain still moves (e.g. a consistency probe). */
  alongside?: (cluster: ScenarioCluster) => { stop(): Promise<unknown> };
}

/** Everything a scenario produced. The cluster is closed by the time you get this. */
export interface ScenarioRun {
  result: ScenarioResult;
  /** Every request, in schedule order. */
  records: RequestRecord[];
  /** Every /api/providers poll. */
  samples: ProviderSample[];
  chaos: ChaosEventRecord[];
  probes: SubscriptionProbe[];
  metrics: { before: MetricSample[]; after: MetricSample[]; delta: MetricSample[] };
  failedChecks(): CheckResult[];
}

/**
 * Runs one resilience scenario end to end: starts a devnet, one fault proxy per provider and
 * Lasso (all on ephemeral ports), opens the subscription probes, drives block production, runs
 * the open-model workload while playing the chaos timeline, then checks subscriptions against
 * the devnet's ground truth, evaluates `checks`, and tears everything down (even on failure).
 *
 * ```ts
 * const run = await scenario({
 *   name: 'one-down', seed: 7, providers: 3,
 *   workload: { rate: 100, durationMs: 10_000 },
 *   chaos: [{ at: 0, action: 'kill', target: 'node-2' }],
 *   checks: [successRatioAtLeast(0.999), latencyBelow(95, 300)],
 * });
 * console.log(run.result.totals.successRatio, run.failedChecks());
 * ```
 */
export async function scenario(options: ScenarioOptions): Promise<ScenarioRun> {
  const specs = providerSpecs(options.providers);
  const chaosEntries = options.chaos ?? [];
  validateTimeline(chaosEntries, specs.map((s) => s.id));
  const mix = options.workload.mix ?? DEFAULT_METHOD_MIX;
  const picker = new MethodPicker(mix); // validates the mix before anything starts
  const blockTimeMs = options.blockTimeMs ?? 1000;
  if (!(blockTimeMs >= 0)) throw new ScenarioConfigError('blockTimeMs must be >= 0');
  const countMethods = [...new Set([...(options.countMethods ?? [])])];

  const cluster = await startScenarioCluster({
    seed: options.seed,
    providers: specs,
    ...(options.lasso && { lasso: options.lasso }),
    ...(options.launchLasso && { launchLasso: options.launchLasso }),
    ...(options.txPerBlock !== undefined && { txPerBlock: options.txPerBlock }),
    countMethods,
  });
  const setupClock = createRunClock();
  const monitor = new ProviderMonitor({ url: cluster.lasso.url, chain: cluster.chain, clock: setupClock, ...(options.pollIntervalMs && { intervalMs: options.pollIntervalMs }) });
  const probes: SubscriptionProbe[] = [];
  let target: RpcTarget | undefined;
  let timeline: ChaosTimeline | undefined;
  let runMonitor: ProviderMonitor | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let companion: { stop(): Promise<unknown> } | undefined;
  try {
    // A few blocks first, so that log and block ranges have something to cover.
    await cluster.devnet.mineBlock();
    await cluster.devnet.mineBlock();
    await waitForHeads(monitor, specs, cluster.devnet.canonical.head());
    await options.prepare?.(cluster);

    const sendRawShare = (mix.eth_sendRawTransaction ?? 0) / Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
    const expectedTxs = picker.methods.includes('eth_sendRawTransaction')
      ? Math.ceil(((options.workload.rate * options.workload.durationMs) / 1000) * sendRawShare * 1.3) + 16
      : 0;
    const chain = await devnetWorkloadChain(cluster.devnet, { seed: deriveSeed(options.seed, 'transfers'), transactions: expectedTxs });
    target = options.target ? options.target(cluster) : createHttpTarget({ url: cluster.rpcUrlFor(options.workload.strategy) });

    // One clock for the run; rebased so that t = 0 is the workload start.
    const clock = createRunClock();
    const subscribed = await startProbes(options.subscriptions ?? [], cluster, clock, probes);

    const before = await scrapeMetrics(cluster.lasso.url);
    if (blockTimeMs > 0) cluster.devnet.startMining(blockTimeMs);
    await monitor.close();
    clock.rebase();
    runMonitor = new ProviderMonitor({ url: cluster.lasso.url, chain: cluster.chain, clock, ...(options.pollIntervalMs && { intervalMs: options.pollIntervalMs }) });
    const recent = new LatencyHistogram();
    const workload = new Workload(options.workload, {
      target,
      chain,
      seed: deriveSeed(options.seed, 'workload'),
      clock,
      onRecord: (r) => recent.record(r.latencyMs),
    });
    timeline = new ChaosTimeline(chaosEntries, cluster, clock, deriveSeed(options.seed, 'chaos'));
    const startedAt = new Date(clock.originWallMs).toISOString();
    runMonitor.start();
    if (options.onProgress) {
      const report = options.onProgress;
      const activeTimeline = timeline;
      progressTimer = setInterval(() => {
        const p = workload.progress();
        const events = activeTimeline.events;
        report({ ...p, recentP95Ms: recent.percentile(95), chaosEvents: events.length, ...(events.length > 0 && { lastChaos: events[events.length - 1]! }) });
        recent.reset();
      }, options.progressIntervalMs ?? 1000);
    }
    timeline.start();
    companion = options.alongside?.(cluster);
    await workload.start();
    const durationMs = clock.now();
    await companion?.stop();
    if (progressTimer) clearInterval(progressTimer);
    await timeline.stop();

    const subscriptions = await settleAndCheckProbes(options.subscriptions ?? [], probes, subscribed, cluster, options.settleMs ?? 5000);
    cluster.devnet.stopMining();
    await runMonitor.poll();
    await runMonitor.stop();
    const after = await scrapeMetrics(cluster.lasso.url);
    const delta = diffSamples(before, after);
    const records = workload.sortedRecords();
    const ids = specs.map((s) => s.id);
    const extra = Object.fromEntries(
      cluster.providers.map((p) => [p.id, { arrivals: p.faults.arrivals(), faultsApplied: p.proxy.stats().faultsApplied as Record<string, number> }]),
    );

    const partial: Omit<ScenarioResult, 'checks' | 'passed'> = {
      schema: SCENARIO_RESULT_SCHEMA,
      schemaVersion: SCENARIO_RESULT_SCHEMA_VERSION,
      name: options.name,
      ...(options.title !== undefined && { title: options.title }),
      ...(options.description !== undefined && { description: options.description }),
      seed: options.seed,
      startedAt,
      durationMs: Math.round(durationMs),
      environment: environment(),
      config: {
        providers: specs.map((s) => ({
          id: s.id,
          ...(s.latencyMs !== undefined && { latencyMs: s.latencyMs }),
          ...(s.jitterMs !== undefined && { jitterMs: s.jitterMs }),
          ...(s.lagBlocks !== undefined && { lagBlocks: s.lagBlocks }),
          ...(s.faults !== undefined && { faults: s.faults }),
          ...(s.config !== undefined && { config: s.config }),
        })),
        workload: {
          rate: options.workload.rate,
          durationMs: options.workload.durationMs,
          mix: { ...mix },
          ...(options.workload.strategy !== undefined && { strategy: options.workload.strategy }),
          ...(options.workload.timeoutMs !== undefined && { timeoutMs: options.workload.timeoutMs }),
        },
        lasso: { ...(options.lasso?.chain && { chain: options.lasso.chain }), ...(options.lasso?.server && { server: options.lasso.server }) },
        blockTimeMs,
        chaos: chaosEntries.map(serializeEntry),
        subscriptions: (options.subscriptions ?? []).map((s) => ({ ...s })),
      },
      totals: requestTotals(records),
      timeSeries: { bucketMs: options.bucketMs ?? 1000, points: timeSeries(records, options.bucketMs ?? 1000, options.workload.durationMs) },
      chaos: timeline.events.map((e) => ({ ...e })),
      providers: providerResults(ids, records, delta, cluster.chain, extra),
      breakers: runMonitor.changes.filter((c) => c.field.startsWith('breaker:')),
      providerStates: runMonitor.changes.filter((c) => !c.field.startsWith('breaker:')),
      metrics: metricsSummary(delta, cluster.chain),
      subscriptions,
    };
    const activeTimeline = timeline;
    const ctx: CheckContext = {
      records,
      result: partial,
      monitor: runMonitor,
      chaos: { events: activeTimeline.events, window: (i) => activeTimeline.window(i) },
      metrics: { before, after, delta },
      cluster,
      probes,
      clock,
    };
    const checks = await runChecks(options.checks ?? [], ctx);
    await runMonitor.close();
    const result: ScenarioResult = { ...partial, checks, passed: checks.every((c) => c.passed) && subscriptions.every((s) => s.ok) };
    if (options.resultsDir) await writeScenarioResult(options.resultsDir, result);
    return {
      result,
      records,
      samples: runMonitor.samples,
      chaos: activeTimeline.events,
      probes,
      metrics: { before, after, delta },
      failedChecks: () => checks.filter((c) => !c.passed),
    };
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    await companion?.stop().catch(() => undefined);
    await timeline?.stop();
    await Promise.all(probes.map((p) => p.stop().catch(() => undefined)));
    await monitor.close();
    await runMonitor?.close();
    await target?.close();
    await cluster.close();
  }
}

/** Writes a result as `<dir>/<name>.json` (pretty-printed, stable key order as built). */
export async function writeScenarioResult(dir: string, result: ScenarioResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${result.name}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Waits until Lasso has polled every provider's head up to at least `minHead` (less a lagging provider's lag). */
async function waitForHeads(monitor: ProviderMonitor, specs: readonly (ProviderSpec & { id: string })[], minHead: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const sample = await monitor.poll();
    const providers = sample?.providers ?? {};
    const reached = (s: ProviderSpec & { id: string }) => {
      const head = providers[s.id]?.head;
      return head !== null && head !== undefined && head >= minHead - (s.lagBlocks ?? 0);
    };
    if (specs.every(reached)) return;
    if (Date.now() > deadline) throw new ScenarioSetupError(`Lasso did not see every provider's head reach ${minHead} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Subscribed {
  probe: SubscriptionProbe;
  spec: SubscriptionSpec;
  filter: LogFilter | undefined;
  /** Canonical head once the subscription was confirmed: blocks above it must all arrive. */
  headAtSubscribe: number;
}

async function startProbes(specs: readonly SubscriptionSpec[], cluster: ScenarioCluster, clock: RunClock, probes: SubscriptionProbe[]): Promise<Subscribed[]> {
  const out: Subscribed[] = [];
  for (const [i, spec] of specs.entries()) {
    const filter = spec.kind === 'logs' ? (spec.filter === undefined || spec.filter === 'emitter' ? { address: cluster.devnet.contracts.emitter } : spec.filter) : undefined;
    for (let n = 0; n < (spec.count ?? 1); n++) {
      const name = `${spec.name ?? `${spec.kind}-${i}`}${(spec.count ?? 1) > 1 ? `#${n}` : ''}`;
      const probe = new SubscriptionProbe({ url: cluster.wsUrl, kind: spec.kind, name, clock, ...(filter && { filter: filter as Record<string, unknown> }) });
      probes.push(probe);
      try {
        await probe.start();
      } catch (err) {
        throw new ScenarioSetupError(`subscription probe ${name} could not subscribe: ${errorMessage(err)}`, { cause: err });
      }
      out.push({ probe, spec, filter, headAtSubscribe: cluster.devnet.canonical.head() });
    }
  }
  return out;
}

async function settleAndCheckProbes(
  specs: readonly SubscriptionSpec[],
  probes: readonly SubscriptionProbe[],
  subscribed: readonly Subscribed[],
  cluster: ScenarioCluster,
  settleMs: number,
): Promise<SubscriptionResult[]> {
  if (specs.length === 0) return [];
  // Freeze the head, then give every subscriber time to receive it.
  cluster.devnet.stopMining();
  const truth = cluster.devnet.canonical;
  const head = truth.head();
  await Promise.allSettled(probes.map((p) => p.waitFor(() => (p.highestBlock() ?? -1) >= head, settleMs)));
  return subscribed.map(({ probe, spec, filter, headAtSubscribe }) => {
    const window: BlockWindow = { from: headAtSubscribe + 1, to: head };
    const events = probe.events.filter((e) => e.type === 'notification');
    const results = events.map((e) => e.result);
    const times = events.map((e) => e.tMs);
    const report =
      spec.kind === 'newHeads'
        ? (() => {
            const { heads, malformed } = headsFromNotifications(results, times);
            return checkNewHeads(heads, truth, window, malformed);
          })()
        : (() => {
            const { logs, malformed } = logsFromNotifications(results, times);
            return checkLogs(logs, truth, window, filter, malformed);
          })();
    const subscriptionIds = probe.subscriptionIds();
    const notificationIds = probe.notificationIds();
    const closes = probe.closes().map(({ tMs, code, reason }) => ({ tMs, code, reason }));
    const stableId = subscriptionIds.length === 1 && notificationIds.every((id) => id === subscriptionIds[0]);
    return {
      name: probe.name,
      kind: spec.kind,
      ...(filter && { filter }),
      subscriptionIds,
      notificationIds,
      notifications: results.length,
      closes,
      window,
      report: trimLists(report),
      ok: report.ok && closes.length === 0 && stableId,
    };
  });
}
