import { readFile } from 'node:fs/promises';
import { BaselineError } from './errors.js';
import { BATTLE_RESULT_SCHEMA, BATTLE_RESULT_SCHEMA_VERSION } from './result-types.js';
import type { BaselineComparison, BaselineMetric, BattleResult } from './result-types.js';

/** Reads an earlier battle result; throws {@link BaselineError} when it is not one this version can read. */
export async function loadBaseline(file: string): Promise<BattleResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new BaselineError(`cannot read baseline ${file}: ${(err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err))}`);
  }
  const r = parsed as Partial<BattleResult>;
  if (r.schema !== BATTLE_RESULT_SCHEMA) throw new BaselineError(`baseline ${file} is not a battle result (schema ${JSON.stringify(r.schema)})`);
  if (r.schemaVersion !== BATTLE_RESULT_SCHEMA_VERSION) throw new BaselineError(`baseline ${file} has schema version ${String(r.schemaVersion)}; this version reads ${BATTLE_RESULT_SCHEMA_VERSION}`);
  return parsed as BattleResult;
}

/** Headline numbers of a result that a baseline comparison looks at. */
export function headline(r: Pick<BattleResult, 'lasso' | 'subscriptions' | 'faults'>): Record<string, { value: number | null; better: 'lower' | 'higher'; kind: 'ratio' | 'ms' | 'time' | 'count' }> {
  const worst = (get: (e: BattleResult['faults']['episodes'][number]) => number | null) => {
    const values = r.faults.episodes.map(get).filter((v): v is number => v !== null);
    return values.length === 0 ? null : Math.max(...values);
  };
  return {
    successRatio: { value: r.lasso.totals.answeredRatio, better: 'higher', kind: 'ratio' },
    p50Ms: { value: r.lasso.totals.latencyMs.p50, better: 'lower', kind: 'ms' },
    p95Ms: { value: r.lasso.totals.latencyMs.p95, better: 'lower', kind: 'ms' },
    p99Ms: { value: r.lasso.totals.latencyMs.p99, better: 'lower', kind: 'ms' },
    wsDeliveryRatio: { value: r.subscriptions.deliveryRatio, better: 'higher', kind: 'ratio' },
    duplicateRatio: { value: r.subscriptions.duplicateRatio, better: 'lower', kind: 'ratio' },
    maxGapBlocks: { value: r.subscriptions.subscribers === 0 ? null : r.subscriptions.maxGapBlocks, better: 'lower', kind: 'count' },
    failoverMs: { value: worst((e) => e.failoverMs), better: 'lower', kind: 'time' },
    breakerOpenMs: { value: worst((e) => (e.breakerExpected ? e.breakerOpenMs : null)), better: 'lower', kind: 'time' },
    recoveryMs: { value: worst((e) => (e.recovery === 'closed' ? e.recoveryMs : null)), better: 'lower', kind: 'time' },
  };
}

/**
 * Flags regressions against a baseline. With tolerance t:
 * - latencies: current > baseline x (1 + t) and more than 2 ms worse;
 * - failover / breaker / recovery times: same, with a 250 ms floor (the breaker poll resolution is 100 ms);
 * - ratios where higher is better: the failure share (1 - ratio) grew beyond x (1 + t) + 0.05 percentage points;
 * - ratios where lower is better: grew beyond x (1 + t) + 0.05 percentage points;
 * - counts (max gap): any increase.
 * A metric the baseline had and this run lost (e.g. failover never settled) is a regression.
 */
export function compareWithBaseline(current: Pick<BattleResult, 'lasso' | 'subscriptions' | 'faults' | 'scenario'>, baseline: BattleResult, file: string, tolerance: number): BaselineComparison {
  const now = headline(current);
  const before = headline(baseline);
  const metrics: BaselineMetric[] = [];
  for (const [metric, cur] of Object.entries(now)) {
    const base = before[metric];
    if (!base || base.value === null) continue;
    const b = base.value;
    const c = cur.value;
    let regressed: boolean;
    if (c === null) regressed = true;
    else if (cur.kind === 'ms') regressed = c > b * (1 + tolerance) && c - b > 2;
    else if (cur.kind === 'time') regressed = c > b * (1 + tolerance) && c - b > 250;
    else if (cur.kind === 'count') regressed = c > b;
    else if (cur.better === 'higher') regressed = 1 - c > (1 - b) * (1 + tolerance) + 0.0005;
    else regressed = c > b * (1 + tolerance) + 0.0005;
    metrics.push({ metric, better: cur.better, baseline: b, current: c, regressed });
  }
  const note =
    baseline.scenario.name !== current.scenario.name
      ? `baseline is scenario "${baseline.scenario.name}", this run is "${current.scenario.name}"`
      : baseline.scenario.durationMs !== current.scenario.durationMs || baseline.scenario.rate !== current.scenario.rate
        ? 'baseline ran with another duration or rate'
        : undefined;
  return {
    file,
    scenario: baseline.scenario.name,
    startedAt: baseline.startedAt,
    tolerance,
    metrics,
    regressions: metrics.filter((m) => m.regressed).map((m) => m.metric),
    ...(note && { note }),
  };
}
