import type { LatencySummary } from '../chaos/workload/index.js';
import type { BattleResult } from './result-types.js';

/** `schema` of a capacity result file. */
export const CAPACITY_RESULT_SCHEMA = 'lasso.capacity-result';
export const CAPACITY_RESULT_SCHEMA_VERSION = 1;

/** What a step must hold to count as "at SLO". */
export interface CapacitySlo {
  /** Requests answered (result or upstream error), at least. @default 0.999 */
  answeredRatio: number;
  /** Latency p99 from the scheduled send time (open model), at most, ms. @default 250 */
  p99Ms: number;
}

export const DEFAULT_CAPACITY_SLO: CapacitySlo = { answeredRatio: 0.999, p99Ms: 250 };

/** Offered rates of the ramp, req/s: coarse steps, the machine's ~13k req/s single-process ceiling well inside. */
export const DEFAULT_CAPACITY_RATES = [250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000, 12000];

/** One step of the ramp: a constant offered rate for a while. */
export interface CapacityStep {
  rate: number;
  durationMs: number;
  requests: number;
  /** Completed requests / wall time of the step (until the last answer): what was actually served. */
  throughput: number;
  answeredRatio: number;
  latencyMs: LatencySummary;
  /** Non-success outcomes by `code:<n>` or `failure:<kind>`. */
  errors: Record<string, number>;
  /** Share of one core Lasso's process used during the step (user + system), when measurable. */
  lassoCpu: number | null;
  /** Share of the load side's core used by this process (load generator + devnet driver). */
  loadCpu: number | null;
  passed: boolean;
  /** Why it failed, in words. */
  failures: string[];
  /** A failed step is run once more before the ramp stops (a burst of outside load must not end it). */
  retry?: boolean;
}

export interface CapacityResult {
  schema: typeof CAPACITY_RESULT_SCHEMA;
  schemaVersion: typeof CAPACITY_RESULT_SCHEMA_VERSION;
  generator: BattleResult['generator'];
  startedAt: string;
  finishedAt: string;
  environment: BattleResult['environment'] & { loadAverage: { start: number[]; end: number[] } };
  /** CPU pinning: Lasso alone on one core, the load generator and the devnet on the other(s). null when taskset was not available. */
  pinning: { lasso: string; load: string } | null;
  setup: { providers: number; mix: Record<string, number>; blockTimeMs: number; stepMs: number; seed: number };
  slo: CapacitySlo;
  steps: CapacityStep[];
  /** Highest offered rate whose step held the SLO (0 when none did). */
  maxRateAtSlo: number;
  /** Served throughput of that step. */
  maxThroughputAtSlo: number;
  /** Whether Lasso's core was the limit at the first failing step (else the load side, or nothing failed). */
  limitedBy: 'lasso' | 'load side' | 'not reached';
}

/** Judges one step against the SLO. */
export function judgeStep(step: Omit<CapacityStep, 'passed' | 'failures'>, slo: CapacitySlo): CapacityStep {
  const failures: string[] = [];
  if (step.requests === 0) failures.push('no request completed');
  if (step.answeredRatio < slo.answeredRatio) {
    const top = Object.entries(step.errors).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${n} x ${k}`);
    failures.push(`answered ${(step.answeredRatio * 100).toFixed(3)}% < ${(slo.answeredRatio * 100).toFixed(3)}% (${top.join(', ')})`);
  }
  if (step.latencyMs.p99 > slo.p99Ms) failures.push(`p99 ${step.latencyMs.p99.toFixed(1)} ms > ${slo.p99Ms} ms`);
  return { ...step, passed: failures.length === 0, failures };
}

/**
 * The ramp's verdict. The ramp stops at a confirmed failure (a failed step that failed again on
 * its retry), so that is the last step when there is one; the best is the highest passing rate.
 */
export function capacityVerdict(steps: readonly CapacityStep[]): Pick<CapacityResult, 'maxRateAtSlo' | 'maxThroughputAtSlo' | 'limitedBy'> {
  const best = steps.filter((s) => s.passed).sort((a, b) => b.rate - a.rate)[0];
  const last = steps[steps.length - 1];
  const confirmed = last && !last.passed ? last : undefined;
  const limitedBy = !confirmed ? 'not reached' : confirmed.lassoCpu !== null && confirmed.lassoCpu >= 0.85 ? 'lasso' : 'load side';
  return { maxRateAtSlo: best?.rate ?? 0, maxThroughputAtSlo: best ? Math.round(best.throughput) : 0, limitedBy };
}

/** A Markdown summary of a capacity run. */
export function capacityMarkdown(r: CapacityResult): string {
  const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);
  const lines = [
    `# Capacity: ${r.maxRateAtSlo} req/s at SLO`,
    '',
    `Commit ${r.generator.commit ?? 'unknown'}, ${r.startedAt}. ${r.environment.cpus} CPUs (${r.environment.cpuModel}), Node ${r.environment.node}.`,
    r.pinning ? `Lasso pinned to CPU ${r.pinning.lasso} (taskset); load generator and devnet on CPU ${r.pinning.load}.` : 'No CPU pinning (taskset missing): the figures include contention with the load generator.',
    `Load average at start ${r.environment.loadAverage.start.map((v) => v.toFixed(2)).join(' / ')}, at end ${r.environment.loadAverage.end.map((v) => v.toFixed(2)).join(' / ')}.`,
    '',
    `SLO per step: answered >= ${(r.slo.answeredRatio * 100).toFixed(1)}%, p99 <= ${r.slo.p99Ms} ms (from the scheduled send time, so a load side that falls behind shows as latency). ` +
      `${r.setup.providers} anvil providers, mix ${Object.entries(r.setup.mix).map(([m, w]) => `${m} ${w}`).join(' / ')}, ${r.setup.stepMs / 1000} s per step, seed ${r.setup.seed}.`,
    '',
    `**Maximum sustained throughput at SLO: ${r.maxThroughputAtSlo} req/s** (offered ${r.maxRateAtSlo} req/s); limited by: ${r.limitedBy}.`,
    '',
    '| offered req/s | served req/s | answered | p50 ms | p99 ms | Lasso CPU | load CPU | result |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.steps.map(
      (s) =>
        `| ${s.rate}${s.retry ? ' (retry)' : ''} | ${Math.round(s.throughput)} | ${(s.answeredRatio * 100).toFixed(3)}% | ${s.latencyMs.p50.toFixed(1)} | ${s.latencyMs.p99.toFixed(1)} | ${pct(s.lassoCpu)} | ${pct(s.loadCpu)} | ${s.passed ? 'PASS' : `FAIL: ${s.failures.join('; ')}`} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
