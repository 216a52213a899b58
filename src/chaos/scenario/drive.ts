// The run itself: block production, the open-model workload, the chaos timeline, the provider monitor and progress reports.
import type { SettableRunClock } from '../workload/clock.js';
import { LatencyHistogram } from '../workload/latency.js';
import type { WorkloadChain } from '../workload/methods.js';
import { deriveSeed } from '../workload/seed.js';
import type { RpcTarget } from '../workload/target.js';
import { Workload } from '../workload/workload.js';
import type { ScenarioCluster } from './cluster.js';
import { ProviderMonitor } from './monitor.js';
import type { ScenarioOptions } from './options.js';
import { scrapeMetrics } from './prometheus.js';
import type { MetricSample } from './prometheus.js';
import type { ScenarioPlan } from './setup.js';
import type { Teardown } from './teardown.js';
import { ChaosTimeline } from './timeline.js';

export interface DriveContext {
  options: ScenarioOptions;
  plan: ScenarioPlan;
  cluster: ScenarioCluster;
  target: RpcTarget;
  chain: WorkloadChain;
  /** Rebased here, so that t = 0 is the workload start. */
  clock: SettableRunClock;
  /** Everything the run starts is registered here, to be stopped even if the run fails. */
  teardown: Teardown;
}

/** A completed run. Blocks are still being produced and the monitor still polls. */
export interface DrivenRun {
  workload: Workload;
  timeline: ChaosTimeline;
  monitor: ProviderMonitor;
  /** Wall-clock time of the workload start, ISO 8601. */
  startedAt: string;
  durationMs: number;
  /** Lasso's metrics just before the run. */
  before: MetricSample[];
}

/**
 * Starts block production and runs the workload while the chaos timeline plays, the monitor
 * polls /api/providers, progress is reported and the `alongside` companion runs; the companion
 * and the timeline are stopped as soon as the workload has completed.
 */
export async function driveScenario({ options, plan, cluster, target, chain, clock, teardown }: DriveContext): Promise<DrivenRun> {
  const before = await scrapeMetrics(cluster.lasso.url);
  if (plan.blockTimeMs > 0) cluster.devnet.startMining(plan.blockTimeMs);
  clock.rebase();
  const monitor = new ProviderMonitor({ url: cluster.lasso.url, chain: cluster.chain, clock, ...(options.pollIntervalMs && { intervalMs: options.pollIntervalMs }) });
  teardown.defer(() => monitor.close());
  const recent = new LatencyHistogram();
  const workload = new Workload(options.workload, {
    target,
    chain,
    seed: deriveSeed(options.seed, 'workload'),
    clock,
    onRecord: (r) => recent.record(r.latencyMs),
  });
  const timeline = new ChaosTimeline(plan.chaos, cluster, clock, deriveSeed(options.seed, 'chaos'));
  teardown.defer(() => timeline.stop());
  const startedAt = new Date(clock.originWallMs).toISOString();
  monitor.start();
  const stopProgress = reportProgress(options, workload, timeline, recent);
  teardown.defer(stopProgress);
  timeline.start();
  const companion = options.alongside?.(cluster);
  if (companion) teardown.defer(() => companion.stop().catch(() => undefined));
  await workload.start();
  const durationMs = clock.now();
  await companion?.stop();
  stopProgress();
  await timeline.stop();
  return { workload, timeline, monitor, startedAt, durationMs, before };
}

/** Calls `onProgress` every `progressIntervalMs` until the returned stop is called. */
function reportProgress(options: ScenarioOptions, workload: Workload, timeline: ChaosTimeline, recent: LatencyHistogram): () => void {
  const report = options.onProgress;
  if (!report) return () => undefined;
  const timer = setInterval(() => {
    const events = timeline.events;
    report({ ...workload.progress(), recentP95Ms: recent.percentile(95), chaosEvents: events.length, ...(events.length > 0 && { lastChaos: events[events.length - 1]! }) });
    recent.reset();
  }, options.progressIntervalMs ?? 1000);
  return () => clearInterval(timer);
}
