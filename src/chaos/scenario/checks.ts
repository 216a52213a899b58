import type { RunClock } from '../workload/clock.js';
import type { RequestRecord } from '../workload/record.js';
import type { SubscriptionProbe } from '../workload/subscription-probe.js';
import { latencySummary, pct, successRatio } from './analysis.js';
import type { ScenarioCluster } from './cluster.js';
import type { ProviderMonitor } from './monitor.js';
import type { MetricSample } from './prometheus.js';
import type { ChaosEventRecord } from './timeline.js';
import type { ScenarioResult } from './types.js';
import { errorMessage } from '../../error-message.js';

/** What a check can look at. Checks run after the workload, while the cluster still runs. */
export interface CheckContext {
  /** Every request, in schedule order. */
  records: readonly RequestRecord[];
  /** The result so far (everything but `checks` and `passed`). */
  result: Omit<ScenarioResult, 'checks' | 'passed'>;
  monitor: ProviderMonitor;
  chaos: {
    events: readonly ChaosEventRecord[];
    /** Start and end (run-clock ms) of a timeline entry. */
    window(entry: number): { startMs: number | undefined; endMs: number | undefined };
  };
  metrics: { before: readonly MetricSample[]; after: readonly MetricSample[]; delta: readonly MetricSample[] };
  cluster: ScenarioCluster;
  probes: readonly SubscriptionProbe[];
  /** The run's clock (`fromWall` converts a block's `minedAtMs` to run time). */
  clock: RunClock;
}

export interface CheckVerdict {
  passed: boolean;
  /** What was measured, for reports (e.g. `99.95% (1999/2000)`). */
  measured?: string | number | boolean;
  /** The bound, for reports (e.g. `>= 99.9%`). */
  expected?: string;
  detail?: string;
}

/** A named assertion evaluated at the end of a scenario and written into its result. */
export interface ScenarioCheck {
  name: string;
  check(ctx: CheckContext): boolean | CheckVerdict | Promise<boolean | CheckVerdict>;
}

export interface CheckResult {
  name: string;
  passed: boolean;
  measured?: string | number | boolean;
  expected?: string;
  detail?: string;
  /** The check itself threw. */
  error?: string;
}

export async function runChecks(checks: readonly ScenarioCheck[], ctx: CheckContext): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) {
    try {
      const v = await c.check(ctx);
      out.push(typeof v === 'boolean' ? { name: c.name, passed: v } : { name: c.name, ...v });
    } catch (err) {
      out.push({ name: c.name, passed: false, error: errorMessage(err) });
    }
  }
  return out;
}

/** Builds a check from a name and a function (sugar for inline checks). */
export function check(name: string, fn: ScenarioCheck['check']): ScenarioCheck {
  return { name, check: fn };
}

/** Share of requests with a result is at least `min` (optionally over a subset). */
export function successRatioAtLeast(min: number, select: (ctx: CheckContext) => readonly RequestRecord[] = (ctx) => ctx.records, label = 'success ratio'): ScenarioCheck {
  return check(`${label} >= ${pct(min)}`, (ctx) => {
    const records = select(ctx);
    const ratio = successRatio(records);
    const ok = records.filter((r) => r.outcome === 'success').length;
    // What the first misses were told, so that a failed run says why without a rerun.
    const misses = records
      .filter((r) => r.outcome !== 'success')
      .slice(0, 3)
      .map((r) => `${r.method} at ${Math.round(r.scheduledMs)} ms: ${r.errorCode ?? r.failure ?? r.outcome} ${r.errorMessage ?? ''}`.trim());
    const detail = misses.length === 0 ? '' : `; first misses: ${misses.join(' | ')}`;
    return { passed: ratio >= min, measured: `${pct(ratio)} (${ok}/${records.length})${detail}`, expected: `>= ${pct(min)}` };
  });
}

/** Latency percentile `p` stays below `maxMs` (optionally over a subset). */
export function latencyBelow(p: 50 | 90 | 95 | 99 | 99.9 | 100, maxMs: number, select: (ctx: CheckContext) => readonly RequestRecord[] = (ctx) => ctx.records, label?: string): ScenarioCheck {
  const key = p === 100 ? 'max' : p === 99.9 ? 'p999' : (`p${p}` as const);
  return check(label ?? `${key} latency < ${maxMs} ms`, (ctx) => {
    const summary = latencySummary(select(ctx));
    const value = summary[key];
    return { passed: value < maxMs, measured: `${value} ms`, expected: `< ${maxMs} ms` };
  });
}

/** Every subscription probe got every block / log of its window exactly once, in order, under one id, and was never closed. */
export function subscriptionsClean(): ScenarioCheck {
  return check('subscriptions: every block / log exactly once, in order, one stable id, never closed', (ctx) => {
    const subs = ctx.result.subscriptions;
    const parts = subs.map((s) => {
      const r = s.report;
      const dup = r.duplicateCount;
      return `${s.name}: ${r.delivered}/${r.expected} delivered, ${r.missed.length} missed, ${dup} dup, ${r.outOfOrder.length} out of order, ${r.reorgErrors.length} reorg errors, ids ${s.subscriptionIds.length}/${s.notificationIds.length}, closes ${s.closes.length}`;
    });
    return { passed: subs.length > 0 && subs.every((s) => s.ok), measured: parts.join('; '), expected: 'all clean' };
  });
}
