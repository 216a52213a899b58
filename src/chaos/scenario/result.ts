import { availableParallelism } from 'node:os';
import { LatencyHistogram } from '../workload/latency.js';
import type { RequestRecord } from '../workload/record.js';
import { groupSamples, sumSamples } from './prometheus.js';
import type { MetricSample } from './prometheus.js';
import type { OutcomeTotals, ProviderResult, ScenarioResult, TimePoint } from './types.js';

/** Outcome counts and HDR latency summary of a set of requests. */
export function outcomeTotals(records: readonly RequestRecord[]): OutcomeTotals {
  const h = new LatencyHistogram();
  const { success, rpcError, failed } = tallyOutcomes(records, h);
  const n = records.length;
  const latencyMs = h.summary();
  h.destroy();
  return {
    requests: n,
    success,
    rpcError,
    failed,
    successRatio: n === 0 ? 1 : success / n,
    answeredRatio: n === 0 ? 1 : (success + rpcError) / n,
    latencyMs,
  };
}

/** Per-bucket throughput, outcomes, latency percentiles and provider share, by scheduled time. */
export function timeSeries(records: readonly RequestRecord[], bucketMs: number, durationMs: number): TimePoint[] {
  const buckets = Math.max(1, Math.ceil(durationMs / bucketMs));
  const groups: RequestRecord[][] = Array.from({ length: buckets }, () => []);
  for (const r of records) {
    const i = Math.min(buckets - 1, Math.max(0, Math.floor(r.scheduledMs / bucketMs)));
    groups[i]!.push(r);
  }
  const h = new LatencyHistogram();
  const points = groups.map((group, i): TimePoint => {
    h.reset();
    const { success, rpcError, failed } = tallyOutcomes(group, h);
    const providers: Record<string, number> = {};
    for (const r of group) if (r.provider !== undefined) providers[r.provider] = (providers[r.provider] ?? 0) + 1;
    const s = h.summary();
    return {
      tMs: i * bucketMs,
      requests: group.length,
      success,
      rpcError,
      failed,
      successRatio: group.length === 0 ? null : success / group.length,
      latencyMs: { p50: s.p50, p95: s.p95, p99: s.p99, max: s.max },
      providers,
    };
  });
  h.destroy();
  return points;
}

/** Counts outcomes and records every latency into `h`. */
function tallyOutcomes(records: readonly RequestRecord[], h: LatencyHistogram): { success: number; rpcError: number; failed: number } {
  let success = 0;
  let rpcError = 0;
  let failed = 0;
  for (const r of records) {
    h.record(r.latencyMs);
    if (r.outcome === 'success') success++;
    else if (r.outcome === 'rpc_error') rpcError++;
    else failed++;
  }
  return { success, rpcError, failed };
}

export function requestTotals(records: readonly RequestRecord[]): ScenarioResult['totals'] {
  const byKind = new Map<string, RequestRecord[]>();
  const byProvider: Record<string, number> = {};
  const distribution: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let attemptsTotal = 0;
  let attemptsMax = 0;
  for (const r of records) {
    const list = byKind.get(r.kind) ?? [];
    list.push(r);
    byKind.set(r.kind, list);
    if (r.provider !== undefined) byProvider[r.provider] = (byProvider[r.provider] ?? 0) + 1;
    if (r.attempts !== undefined) {
      attemptsTotal += r.attempts;
      attemptsMax = Math.max(attemptsMax, r.attempts);
      distribution[String(r.attempts)] = (distribution[String(r.attempts)] ?? 0) + 1;
    }
    if (r.outcome !== 'success') {
      const key = r.errorCode !== undefined ? `code:${r.errorCode}` : `failure:${r.failure ?? 'unknown'}`;
      errors[key] = (errors[key] ?? 0) + 1;
    }
  }
  const byMethod: Record<string, OutcomeTotals> = {};
  for (const [kind, list] of byKind) byMethod[kind] = outcomeTotals(list);
  return { ...outcomeTotals(records), byMethod, byProvider, attempts: { total: attemptsTotal, max: attemptsMax, distribution }, errors };
}

export function metricsSummary(delta: readonly MetricSample[], chain: string): ScenarioResult['metrics'] {
  const transitions = delta
    .filter((s) => s.name === 'lasso_breaker_transitions_total' && s.labels.chain === chain && s.value > 0)
    .map((s) => ({ provider: s.labels.provider ?? '', transport: s.labels.transport ?? '', from: s.labels.from ?? '', to: s.labels.to ?? '', count: s.value }));
  return {
    requests: groupSamples(delta, 'lasso_requests_total', 'outcome', { chain }),
    attempts: groupSamples(delta, 'lasso_upstream_attempts_total', 'result', { chain }),
    failovers: sumSamples(delta, 'lasso_failovers_total', { chain }),
    breakerTransitions: transitions,
  };
}

export function providerResults(
  ids: readonly string[],
  records: readonly RequestRecord[],
  delta: readonly MetricSample[],
  chain: string,
  extra: Record<string, { arrivals?: Record<string, number>; faultsApplied: Record<string, number> }>,
): Record<string, ProviderResult> {
  const out: Record<string, ProviderResult> = {};
  for (const id of ids) {
    const served = records.filter((r) => r.provider === id).length;
    const attempts = groupSamples(delta, 'lasso_upstream_attempts_total', 'result', { chain, provider: id });
    const breakerTransitions: Record<string, number> = {};
    for (const s of delta) {
      if (s.name !== 'lasso_breaker_transitions_total' || s.labels.chain !== chain || s.labels.provider !== id || s.value === 0) continue;
      const key = `${s.labels.transport}:${s.labels.from}->${s.labels.to}`;
      breakerTransitions[key] = (breakerTransitions[key] ?? 0) + s.value;
    }
    const e = extra[id];
    out[id] = {
      served,
      share: records.length === 0 ? 0 : served / records.length,
      attempts,
      attemptsTotal: Object.values(attempts).reduce((a, b) => a + b, 0),
      ...(e?.arrivals && Object.keys(e.arrivals).length > 0 ? { arrivals: e.arrivals } : {}),
      faultsApplied: e?.faultsApplied ?? {},
      breakerTransitions,
    };
  }
  return out;
}

export function environment(): ScenarioResult['environment'] {
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: availableParallelism() };
}

/** Cuts every array inside a report to `max` entries (counts stay exact elsewhere). */
export function trimLists<T extends object>(report: T, max = 50): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(report)) out[k] = Array.isArray(v) ? v.slice(0, max) : v;
  return out as T;
}
