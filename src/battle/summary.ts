import type { BattleResult } from './result-types.js';
import { baselineTable, comparisonTable, episodeTable, sloTable, textTable, verdictLabel } from './report/tables.js';
import { formatDuration, formatMs, formatPct } from './units.js';

/** The end-of-run summary for the terminal: verdict, SLOs, headline numbers, faults, comparison. */
export function summaryText(r: BattleResult): string {
  const t = r.lasso.totals;
  const out: string[] = [];
  out.push('', `Battle ${r.scenario.name}: ${verdictLabel(r)} (exit ${r.verdict.exitCode})`, '');
  const slo = sloTable(r);
  out.push(textTable({ ...slo, header: slo.header.slice(0, 4), rows: slo.rows.map((row) => row.slice(0, 4)) }));
  for (const s of r.slos) if (!s.passed && s.detail) out.push(`  ${s.name}: ${s.detail}`);
  out.push('');
  out.push(
    `Requests ${t.requests} over ${formatDuration(r.scenario.durationMs)}: ${formatPct(t.answeredRatio, 3)} succeeded (${t.failed} failed); ` +
      `p50 ${formatMs(t.latencyMs.p50)}, p95 ${formatMs(t.latencyMs.p95)}, p99 ${formatMs(t.latencyMs.p99)}, max ${formatMs(t.latencyMs.max)}`,
  );
  const s = r.subscriptions;
  if (s.subscribers > 0) out.push(`Subscriptions: ${s.subscribers} subscribers, ${s.delivered}/${s.expected} delivered, ${s.missed} missed, ${s.duplicates} duplicates, max gap ${s.maxGapBlocks}, ${s.closes} closes`);
  if (r.faults.episodes.length > 0) out.push('', 'Fault episodes:', textTable(episodeTable(r)));
  const cmp = comparisonTable(r);
  if (cmp && r.comparison) out.push('', 'Comparison (same seed, workload and chaos):', textTable(cmp), '', r.comparison.note);
  const base = baselineTable(r);
  if (base && r.baseline) out.push('', `Baseline ${r.baseline.file}:`, textTable(base));
  out.push('');
  return out.join('\n');
}
