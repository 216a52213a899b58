// A scenario's JSON result, assembled from what the run recorded, and written to disk.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestRecord } from '../workload/record.js';
import { providerConditions } from './cluster.js';
import type { ScenarioCluster } from './cluster.js';
import type { ProviderMonitor } from './monitor.js';
import type { ScenarioOptions } from './options.js';
import type { MetricSample } from './prometheus.js';
import { environment, metricsSummary, providerResults, requestTotals, timeSeries } from './result.js';
import type { ScenarioPlan } from './setup.js';
import { serializeEntry } from './timeline.js';
import type { ChaosEventRecord } from './timeline.js';
import { SCENARIO_RESULT_SCHEMA, SCENARIO_RESULT_SCHEMA_VERSION } from './types.js';
import type { ScenarioResult, SubscriptionResult } from './types.js';

/** A result before its checks ran. */
export type UncheckedResult = Omit<ScenarioResult, 'checks' | 'passed'>;

export interface RunRecord {
  startedAt: string;
  durationMs: number;
  /** Every request, in schedule order. */
  records: RequestRecord[];
  chaos: readonly ChaosEventRecord[];
  monitor: ProviderMonitor;
  /** Lasso's metrics over the run. */
  delta: MetricSample[];
  subscriptions: SubscriptionResult[];
}

export function assembleResult(options: ScenarioOptions, plan: ScenarioPlan, cluster: ScenarioCluster, run: RunRecord): UncheckedResult {
  const { records, delta, monitor } = run;
  const extra = Object.fromEntries(
    cluster.providers.map((p) => [p.id, { arrivals: p.faults.arrivals(), faultsApplied: p.proxy.stats().faultsApplied as Record<string, number> }]),
  );
  const bucketMs = options.bucketMs ?? 1000;
  return {
    schema: SCENARIO_RESULT_SCHEMA,
    schemaVersion: SCENARIO_RESULT_SCHEMA_VERSION,
    name: options.name,
    ...(options.title !== undefined && { title: options.title }),
    ...(options.description !== undefined && { description: options.description }),
    seed: options.seed,
    startedAt: run.startedAt,
    durationMs: Math.round(run.durationMs),
    environment: environment(),
    config: {
      providers: plan.providers.map((s) => ({ ...providerConditions(s), ...(s.config !== undefined && { config: s.config }) })),
      workload: {
        rate: options.workload.rate,
        durationMs: options.workload.durationMs,
        mix: { ...plan.mix },
        ...(options.workload.strategy !== undefined && { strategy: options.workload.strategy }),
        ...(options.workload.timeoutMs !== undefined && { timeoutMs: options.workload.timeoutMs }),
      },
      lasso: { ...(options.lasso?.chain && { chain: options.lasso.chain }), ...(options.lasso?.server && { server: options.lasso.server }) },
      blockTimeMs: plan.blockTimeMs,
      chaos: plan.chaos.map(serializeEntry),
      subscriptions: (options.subscriptions ?? []).map((s) => ({ ...s })),
    },
    totals: requestTotals(records),
    timeSeries: { bucketMs, points: timeSeries(records, bucketMs, options.workload.durationMs) },
    chaos: run.chaos.map((e) => ({ ...e })),
    providers: providerResults(plan.providers.map((s) => s.id), records, delta, cluster.chain, extra),
    breakers: monitor.changes.filter((c) => c.field.startsWith('breaker:')),
    providerStates: monitor.changes.filter((c) => !c.field.startsWith('breaker:')),
    metrics: metricsSummary(delta, cluster.chain),
    subscriptions: run.subscriptions,
  };
}

/** Writes a result as `<dir>/<name>.json` (pretty-printed, stable key order as built). */
export async function writeScenarioResult(dir: string, result: ScenarioResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${result.name}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
