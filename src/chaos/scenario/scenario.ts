import { createRunClock } from '../workload/clock.js';
import type { SubscriptionProbe } from '../workload/subscription-probe.js';
import { assembleResult, writeScenarioResult } from './assemble.js';
import { runChecks } from './checks.js';
import type { CheckContext } from './checks.js';
import { driveScenario } from './drive.js';
import type { ScenarioOptions, ScenarioRun } from './options.js';
import { diffSamples, scrapeMetrics } from './prometheus.js';
import { openTarget, planScenario, startCluster, warmUp, workloadChain } from './setup.js';
import { checkSubscribers, openSubscribers } from './subscribers.js';
import { Teardown } from './teardown.js';
import type { ScenarioResult } from './types.js';

export { writeScenarioResult } from './assemble.js';
export type { ScenarioOptions, ScenarioProgress, ScenarioRun } from './options.js';
export type { SubscriptionSpec } from './subscribers.js';

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
  const plan = planScenario(options);
  const cluster = await startCluster(options, plan);
  const teardown = new Teardown();
  teardown.defer(() => cluster.close());
  try {
    await warmUp(cluster, plan, options);
    const chain = await workloadChain(cluster, plan, options);
    const target = openTarget(cluster, options);
    teardown.defer(() => target.close());

    // One clock for the run, from the subscriptions on; the drive rebases it to the workload start.
    const clock = createRunClock();
    const probes: SubscriptionProbe[] = [];
    const subscribers = await openSubscribers(options.subscriptions ?? [], cluster, clock, (probe) => {
      probes.push(probe);
      teardown.defer(() => probe.stop().catch(() => undefined));
    });
    const run = await driveScenario({ options, plan, cluster, target, chain, clock, teardown });

    const subscriptions = await checkSubscribers(subscribers, cluster, options.settleMs ?? 5000);
    cluster.devnet.stopMining();
    const { monitor, timeline, before } = run;
    await monitor.poll();
    await monitor.stop();
    const after = await scrapeMetrics(cluster.lasso.url);
    const delta = diffSamples(before, after);
    const records = run.workload.sortedRecords();
    const partial = assembleResult(options, plan, cluster, { startedAt: run.startedAt, durationMs: run.durationMs, records, chaos: timeline.events, monitor, delta, subscriptions });

    const ctx: CheckContext = {
      records,
      result: partial,
      monitor,
      chaos: { events: timeline.events, window: (i) => timeline.window(i) },
      metrics: { before, after, delta },
      cluster,
      probes,
      clock,
    };
    const checks = await runChecks(options.checks ?? [], ctx);
    await monitor.close();
    const result: ScenarioResult = { ...partial, checks, passed: checks.every((c) => c.passed) && subscriptions.every((s) => s.ok) };
    if (options.resultsDir) await writeScenarioResult(options.resultsDir, result);
    return {
      result,
      records,
      samples: monitor.samples,
      chaos: timeline.events,
      probes,
      metrics: { before, after, delta },
      failedChecks: () => checks.filter((c) => !c.passed),
    };
  } finally {
    await teardown.run();
  }
}
