import type { FaultAnalysis } from './analysis/faults.js';
import type { MetricAccuracy } from './analysis/metrics-accuracy.js';
import type { SubscriptionsSummary } from './analysis/subscriptions.js';
import type { ConsistencySummary } from '../chaos/workload/index.js';
import type { SloSpec } from './scenario-types.js';
import type { SoakResult } from './soak.js';
import { formatDuration, formatMs, formatPct } from './units.js';

/** The verdict on one SLO. */
export interface SloResult {
  /** `successRatio`, `p95Ms`, ..., `soak.heapMb`. */
  id: string;
  name: string;
  op: '>=' | '<=';
  target: number;
  /** null: nothing to measure (see `detail`). */
  measured: number | null;
  unit: 'ratio' | 'ms' | 'blocks' | 'MB' | 'count';
  passed: boolean;
  /** The run could not settle it either way (e.g. it ended before a breaker could recover); counted as passed. */
  inconclusive?: boolean;
  detail?: string;
}

export interface SloInput {
  totals: { requests: number; answeredRatio: number; latencyMs: { p50: number; p95: number; p99: number } };
  subscriptions: SubscriptionsSummary;
  faults: FaultAnalysis;
  soak?: SoakResult;
  /** Lasso's counters against the workload's ground truth; every mismatch fails. */
  metricsAccuracy?: MetricAccuracy[];
  /** What the consistency probe found (absent when the scenario sets no consistency SLO). */
  consistency?: ConsistencySummary;
}

/** Evaluates every SLO the scenario sets, in a fixed order. */
export function evaluateSlos(spec: SloSpec, input: SloInput): SloResult[] {
  const out: SloResult[] = [];
  const { totals, subscriptions: subs, faults } = input;
  const push = (r: SloResult) => out.push(r);
  const cmp = (op: '>=' | '<=', measured: number, target: number) => (op === '>=' ? measured >= target : measured <= target);
  const simple = (id: string, name: string, op: '>=' | '<=', target: number | undefined, measured: number | null, unit: SloResult['unit'], missing?: string) => {
    if (target === undefined) return;
    if (measured === null) push({ id, name, op, target, measured, unit, passed: false, detail: missing ?? 'not measured' });
    else push({ id, name, op, target, measured, unit, passed: cmp(op, measured, target) });
  };

  simple('successRatio', 'HTTP success ratio', '>=', spec.successRatio, totals.requests === 0 ? null : totals.answeredRatio, 'ratio', 'no request completed');
  simple('p50Ms', 'HTTP latency p50', '<=', spec.p50Ms, totals.requests === 0 ? null : totals.latencyMs.p50, 'ms', 'no request completed');
  simple('p95Ms', 'HTTP latency p95', '<=', spec.p95Ms, totals.requests === 0 ? null : totals.latencyMs.p95, 'ms', 'no request completed');
  simple('p99Ms', 'HTTP latency p99', '<=', spec.p99Ms, totals.requests === 0 ? null : totals.latencyMs.p99, 'ms', 'no request completed');
  const noSubs = 'the scenario has no WebSocket subscribers';
  simple('wsDeliveryRatio', 'WS delivery ratio (blocks + logs)', '>=', spec.wsDeliveryRatio, subs.deliveryRatio, 'ratio', noSubs);
  simple('duplicateRatio', 'WS duplicate ratio', '<=', spec.duplicateRatio, subs.duplicateRatio, 'ratio', noSubs);
  simple('maxGapBlocks', 'WS max gap (blocks skipped at once)', '<=', spec.maxGapBlocks, subs.subscribers === 0 ? null : subs.maxGapBlocks, 'blocks', noSubs);

  const c = input.consistency;
  const noProbe = 'the consistency probe did not run';
  simple('headsBackwards', 'Heads going backwards', '<=', spec.headsBackwards, c ? c.headsBackwards : null, 'count', noProbe);
  simple('olderLatest', 'Latest block older than a head already returned', '<=', spec.olderLatest, c ? c.olderLatest : null, 'count', noProbe);
  simple('bogusHeads', 'Bogus heads (above the real head + 1)', '<=', spec.bogusHeads, c ? c.bogusHeads : null, 'count', noProbe);
  simple('staleAfterReceipt', 'Stale reads right after a receipt', '<=', spec.staleAfterReceipt, c && c.receipts > 0 ? c.staleAfterReceipt : null, 'count', c ? 'no transfer got its receipt' : noProbe);
  simple('stalenessP99Blocks', 'Head staleness p99', '<=', spec.stalenessP99Blocks, c && c.headReads > 0 ? c.stalenessBlocks.p99 : null, 'blocks', c ? 'no head was read' : noProbe);
  simple('staleAnswers', 'Stale answers (orphaned blocks, logs, balances)', '<=', spec.staleAnswers, c?.stale ? c.stale.staleAnswers : null, 'count', c ? 'the stale-answer loop did not run' : noProbe);

  const episodes = faults.episodes;
  const at = (e: (typeof episodes)[number]) => `${e.label} at ${formatDuration(e.onsetMs)}`;
  if (spec.failoverMs !== undefined) {
    const target = spec.failoverMs;
    const base = { id: 'failoverMs', name: 'Failover time (worst fault)', op: '<=' as const, target, unit: 'ms' as const };
    if (episodes.length === 0) push({ ...base, measured: null, passed: true, inconclusive: true, detail: 'no fault was injected' });
    else {
      const unsettled = episodes.find((e) => e.failoverMs === null);
      const worst = worstOf(episodes, (e) => e.failoverMs);
      if (unsettled) push({ ...base, measured: null, passed: false, detail: `traffic did not settle during ${at(unsettled)}` });
      else push({ ...base, measured: worst!.value, passed: worst!.value <= target, detail: `worst: ${at(worst!.item)}, ${worst!.item.disturbedRequests} request(s) disturbed` });
    }
  }
  if (spec.breakerOpenMs !== undefined) {
    const target = spec.breakerOpenMs;
    const base = { id: 'breakerOpenMs', name: 'Breaker open after failure onset (worst)', op: '<=' as const, target, unit: 'ms' as const };
    const eligible = episodes.filter((e) => e.breakerExpected);
    if (eligible.length === 0) push({ ...base, measured: null, passed: true, inconclusive: true, detail: 'no fault that should open a breaker' });
    else {
      const never = eligible.find((e) => e.breakerOpenMs === null);
      const worst = worstOf(eligible, (e) => e.breakerOpenMs);
      if (never) push({ ...base, measured: null, passed: false, detail: `breaker did not open during ${at(never)}` });
      else push({ ...base, measured: worst!.value, passed: worst!.value <= target, detail: `worst: ${at(worst!.item)}` });
    }
  }
  if (spec.recoveryMs !== undefined) {
    const target = spec.recoveryMs;
    const base = { id: 'recoveryMs', name: 'Breaker recovery after repair (worst)', op: '<=' as const, target, unit: 'ms' as const };
    const measured = episodes.filter((e) => e.recovery === 'closed');
    const pending = episodes.filter((e) => e.recovery === 'pending');
    const failedPending = pending.find((e) => (e.recoveryObservedMs ?? 0) > target);
    const worst = worstOf(measured, (e) => e.recoveryMs);
    if (failedPending) push({ ...base, measured: null, passed: false, detail: `breaker still not closed ${formatMs(failedPending.recoveryObservedMs)} after the repair of ${at(failedPending)}` });
    else if (worst && worst.value > target) push({ ...base, measured: worst.value, passed: false, detail: `worst: ${at(worst.item)}` });
    else if (pending.length > 0)
      push({ ...base, measured: worst?.value ?? null, passed: true, inconclusive: true, detail: `the run ended ${formatMs(pending[0]!.recoveryObservedMs)} after the repair of ${at(pending[0]!)}, before the breaker closed` });
    else if (worst) push({ ...base, measured: worst.value, passed: true, detail: `worst: ${at(worst.item)}` });
    else push({ ...base, measured: null, passed: true, inconclusive: true, detail: 'no breaker was open at a repair' });
  }

  for (const m of input.metricsAccuracy ?? []) {
    const off = m.metric < m.expected.min ? m.expected.min - m.metric : m.metric > m.expected.max ? m.metric - m.expected.max : 0;
    push({ id: `metrics.${m.id}`, name: `Metrics accuracy: ${m.name.toLowerCase()}`, op: '<=', target: 0, measured: m.passed ? 0 : Math.max(off, 1), unit: 'count', passed: m.passed, detail: m.detail });
  }

  const soak = input.soak;
  if (soak) {
    for (const g of soak.growth) {
      const unit = g.resource === 'heapMb' || g.resource === 'rssMb' ? 'MB' : g.resource === 'eventLoopLagMs' ? 'ms' : 'count';
      const suffix = unit === 'count' ? '' : ` ${unit}`;
      const name = g.resource.replace(/(Mb|Ms)$/, '');
      const trend = `median ${g.first} -> ${g.last}${suffix}, slope ${g.slopePerHour}${suffix}/h`;
      if (g.maxGrowth !== undefined)
        push({ id: `soak.${g.resource}`, name: `Soak growth: ${name}`, op: '<=', target: g.maxGrowth, measured: g.growth, unit, passed: g.growth <= g.maxGrowth, detail: trend });
      if (g.max48h !== undefined)
        push({
          id: `soak.${g.resource}.48h`,
          name: `Soak leak: ${name} growth projected over 48 h`,
          op: '<=',
          target: g.max48h,
          measured: g.projected48h,
          unit,
          passed: g.projected48h <= g.max48h,
          detail: `${trend} (extrapolated from a ${formatDuration(soak.samples[soak.samples.length - 1]?.tMs ?? 0)} run)`,
        });
    }
    if (soak.tooShort) push({ id: 'soak.samples', name: 'Soak growth', op: '>=', target: 8, measured: soak.samples.filter((s) => s.tMs >= soak.warmupMs).length, unit: 'count', passed: true, inconclusive: true, detail: 'too few samples after warm-up to judge growth' });
  }
  return out;
}

function worstOf<T>(items: readonly T[], get: (t: T) => number | null): { item: T; value: number } | undefined {
  let best: { item: T; value: number } | undefined;
  for (const item of items) {
    const v = get(item);
    if (v !== null && (best === undefined || v > best.value)) best = { item, value: v };
  }
  return best;
}

/** `99.95%`, `183 ms`, `0 blocks`: a measured or target value in its unit. */
export function formatSloValue(value: number | null, unit: SloResult['unit']): string {
  if (value === null) return '—';
  switch (unit) {
    case 'ratio':
      return formatPct(value, value === 0 || value === 1 ? 0 : value > 0.999 || value < 0.001 ? 3 : 2);
    case 'ms':
      return formatMs(value);
    case 'blocks':
      return `${value} block${value === 1 ? '' : 's'}`;
    case 'MB':
      return `${value} MB`;
    default:
      return String(value);
  }
}
