import { summarizeLatencies } from '../workload/latency.js';
import type { LatencySummary } from '../workload/latency.js';
import type { RequestRecord } from '../workload/record.js';

/** Requests sent in [fromMs, toMs) (run-clock ms relative to the workload start). */
export function sentBetween(records: readonly RequestRecord[], fromMs: number, toMs = Infinity): RequestRecord[] {
  return records.filter((r) => r.sentMs >= fromMs && r.sentMs < toMs);
}

/** Share of requests with a result (0..1); 1 for an empty list. */
export function successRatio(records: readonly RequestRecord[]): number {
  if (records.length === 0) return 1;
  return records.filter((r) => r.outcome === 'success').length / records.length;
}

/** Share of requests that got an answer (a result or an upstream's deterministic error). */
export function answeredRatio(records: readonly RequestRecord[]): number {
  if (records.length === 0) return 1;
  return records.filter((r) => r.outcome !== 'failed').length / records.length;
}

/** Requests served per provider (by `x-lasso-provider`). */
export function servedBy(records: readonly RequestRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) if (r.provider !== undefined) out[r.provider] = (out[r.provider] ?? 0) + 1;
  return out;
}

export function latencySummary(records: readonly RequestRecord[]): LatencySummary {
  return summarizeLatencies(records.map((r) => r.latencyMs));
}

/** Percentage with two decimals, for check texts. */
export function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

/** Compact "key: n" list, for check texts. */
export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k}: ${v}`).join(', ');
}
