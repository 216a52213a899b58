import { readFile } from 'node:fs/promises';
import { BaselineError } from './errors.js';
import { BATTLE_RESULT_SCHEMA, BATTLE_RESULT_SCHEMA_VERSION } from './result-types.js';
import type { BaselineComparison, BaselineMetric, BattleResult } from './result-types.js';
import { errorMessage } from '../error-message.js';

/** `schema` of a baseline file: the headline numbers of several runs of one scenario. */
export const BASELINE_SCHEMA = 'lasso.battle-baseline';
export const BASELINE_SCHEMA_VERSION = 1;

type Headline = ReturnType<typeof headline>;

/**
 * What a run is compared with: the headline numbers of one or more earlier runs of the same
 * scenario. Several runs give the run-to-run spread the margins are made of.
 */
export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  schemaVersion: typeof BASELINE_SCHEMA_VERSION;
  scenario: { name: string; durationMs: number; rate: number; slos: BattleResult['scenario']['slos'] };
  runs: { id: string; startedAt: string; commit?: string }[];
  /** Per headline metric, one value per run (null: the run had nothing to measure). */
  metrics: Record<string, { better: 'lower' | 'higher'; kind: Headline[string]['kind']; values: (number | null)[] }>;
}

/** A baseline made of these runs (all of one scenario). */
export function buildBaseline(results: readonly BattleResult[]): Baseline {
  const first = results[0];
  if (!first) throw new BaselineError('a baseline needs at least one run');
  const other = results.find((r) => r.scenario.name !== first.scenario.name);
  if (other) throw new BaselineError(`a baseline is one scenario: ${first.scenario.name} and ${other.scenario.name} were given`);
  const metrics: Baseline['metrics'] = {};
  for (const r of results) {
    for (const [name, m] of Object.entries(headline(r))) {
      metrics[name] ??= { better: m.better, kind: m.kind, values: [] };
      metrics[name].values.push(m.value);
    }
  }
  return {
    schema: BASELINE_SCHEMA,
    schemaVersion: BASELINE_SCHEMA_VERSION,
    scenario: { name: first.scenario.name, durationMs: first.scenario.durationMs, rate: first.scenario.rate, slos: first.scenario.slos },
    runs: results.map((r) => ({ id: r.id, startedAt: r.startedAt, ...(r.generator.commit && { commit: r.generator.commit }) })),
    metrics,
  };
}

/**
 * Reads a baseline: a baseline file, or one earlier battle result (a baseline of one run).
 * Throws {@link BaselineError} when it is neither, in a version this one can read.
 */
export async function loadBaseline(file: string): Promise<Baseline> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new BaselineError(`cannot read baseline ${file}: ${(err as NodeJS.ErrnoException).code ?? (errorMessage(err))}`);
  }
  const r = parsed as { schema?: unknown; schemaVersion?: unknown };
  if (r.schema === BASELINE_SCHEMA) {
    if (r.schemaVersion !== BASELINE_SCHEMA_VERSION) throw new BaselineError(`baseline ${file} has schema version ${String(r.schemaVersion)}; this version reads ${BASELINE_SCHEMA_VERSION}`);
    return parsed as Baseline;
  }
  if (r.schema !== BATTLE_RESULT_SCHEMA) throw new BaselineError(`baseline ${file} is not a battle result or baseline (schema ${JSON.stringify(r.schema)})`);
  if (r.schemaVersion !== BATTLE_RESULT_SCHEMA_VERSION) throw new BaselineError(`baseline ${file} has schema version ${String(r.schemaVersion)}; this version reads ${BATTLE_RESULT_SCHEMA_VERSION}`);
  return buildBaseline([parsed as BattleResult]);
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

/** Smallest margins by kind: below these a difference is noise on a shared machine (latency in ms; times in ms, 100 ms breaker poll resolution). */
const ABSOLUTE_MARGIN = { ms: 5, time: 250, ratio: 0.0005, count: 0 } as const;

/**
 * The worst value a run may have before it counts as regressed, from the baseline's runs:
 * the worst baseline value, plus the largest of the relative tolerance (of the median), twice
 * the run-to-run spread (max - min) and an absolute floor. For ratios where higher is better the
 * same applies to the failure share (1 - ratio). Null: nothing to compare with.
 */
export function regressionLimit(kind: Headline[string]['kind'], better: 'lower' | 'higher', values: readonly (number | null)[], tolerance: number): number | null {
  const measured = values.filter((v): v is number => v !== null);
  if (measured.length === 0) return null;
  const asLoss = (v: number) => (better === 'higher' ? 1 - v : v);
  const losses = measured.map(asLoss).sort((a, b) => a - b);
  const worst = losses[losses.length - 1]!;
  const spread = worst - losses[0]!;
  const median = losses[Math.floor(losses.length / 2)]!;
  const margin = kind === 'count' ? 0 : Math.max(tolerance * median, 2 * spread, ABSOLUTE_MARGIN[kind]);
  const limit = worst + margin;
  return better === 'higher' ? 1 - limit : limit;
}

/**
 * Flags regressions against a baseline (see {@link regressionLimit}). Breaker recovery after a
 * repair is judged against its SLO, not an earlier sample: when a provider is probed again
 * depends on where the run's clock fell in the breaker's open period, so two runs of the same
 * commit differ by up to that period. A metric the baseline had and this run lost (e.g.
 * failover never settled) is a regression.
 */
export function compareWithBaseline(current: Pick<BattleResult, 'lasso' | 'subscriptions' | 'faults' | 'scenario'>, baselineOrRun: Baseline | BattleResult, file: string, tolerance: number): BaselineComparison {
  const baseline = baselineOrRun.schema === BASELINE_SCHEMA ? baselineOrRun : buildBaseline([baselineOrRun]);
  const now = headline(current);
  const metrics: BaselineMetric[] = [];
  for (const [metric, cur] of Object.entries(now)) {
    const base = baseline.metrics[metric];
    if (!base) continue;
    const measured = base.values.filter((v): v is number => v !== null);
    if (measured.length === 0) continue;
    const reference = base.better === 'higher' ? Math.min(...measured) : Math.max(...measured);
    const c = cur.value;
    if (metric === 'recoveryMs') {
      const slo = current.scenario.slos.recoveryMs;
      if (slo === undefined) continue;
      metrics.push({ metric, better: cur.better, baseline: reference, current: c, limit: slo, regressed: c !== null && c > slo });
      continue;
    }
    const limit = regressionLimit(base.kind, base.better, base.values, tolerance)!;
    const regressed = c === null || (cur.better === 'higher' ? c < limit : c > limit);
    metrics.push({ metric, better: cur.better, baseline: reference, current: c, limit, regressed });
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
    startedAt: baseline.runs[0]?.startedAt ?? '',
    runs: baseline.runs.length,
    tolerance,
    metrics,
    regressions: metrics.filter((m) => m.regressed).map((m) => m.metric),
    ...(note && { note }),
  };
}
