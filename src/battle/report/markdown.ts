import type { BattleResult } from '../result-types.js';
import { formatDuration } from '../units.js';
import { baselineTable, breakerTimelineLines, chaosTable, comparisonTable, episodeDefinitions, episodeTable, keyNumbers, markdownTable, methodTable, providerTable, sloTable, soakTable, subscriberTable, verdictLabel } from './tables.js';

/** The Markdown summary of a battle: verdict, SLO table, key numbers, faults, chaos timeline, comparison. */
export function renderMarkdown(r: BattleResult): string {
  const out: string[] = [];
  out.push(`# Battle report: ${r.scenario.name} — ${verdictLabel(r)}`);
  out.push('');
  out.push(`${r.scenario.title}. Run ${r.startedAt} (${formatDuration(r.wallTimeMs)} wall time${r.options.compare ? ', with comparison' : ''}). Result file: \`${r.id}.json\` (schema \`${r.schema}\` v${r.schemaVersion}).`);
  if (r.scenario.description) out.push('', `> ${r.scenario.description}`);
  out.push('', '## SLOs', '', markdownTable(sloTable(r)));
  if (r.verdict.failed.length > 0) out.push('', `**Failed:** ${r.verdict.failed.join(', ')}`);
  out.push('', '## Key numbers', '', markdownTable({ header: ['', ''], rows: keyNumbers(r) }));
  const cmp = comparisonTable(r);
  if (cmp && r.comparison) {
    out.push('', '## Comparison', '', 'Same seed, same workload, same chaos timeline, one arm after the other on a fresh cluster.', '', markdownTable(cmp), '', r.comparison.note);
    out.push('', ...r.comparison.arms.map((a) => `- **${a.title}**: ${a.description}`));
  }
  const base = baselineTable(r);
  if (base && r.baseline) {
    out.push('', '## Baseline', '', `Compared with \`${r.baseline.file}\` (${r.baseline.scenario}, ${r.baseline.startedAt}), tolerance ${Math.round(r.baseline.tolerance * 100)}%.${r.baseline.note ? ` Note: ${r.baseline.note}.` : ''}`, '', markdownTable(base));
  }
  out.push('', '## Fault episodes', '');
  out.push(
    r.faults.episodes.length === 0
      ? 'No fault was injected.'
      : `${episodeDefinitions(r).join('\n\n')}\n\n${markdownTable(episodeTable(r))}`,
  );
  const breakers = breakerTimelineLines(r);
  out.push('', '## Circuit breakers', '', breakers.length === 0 ? 'No breaker changed state.' : breakers.map((line) => `- ${line}`).join('\n'));
  out.push('', '## Chaos timeline', '', r.lasso.chaos.length === 0 ? 'No chaos event.' : markdownTable(chaosTable(r)));
  out.push('', '## Providers', '', markdownTable(providerTable(r)));
  out.push('', '## Methods', '', markdownTable(methodTable(r)));
  if (r.subscriptions.subscribers > 0) out.push('', '## Subscribers', '', markdownTable(subscriberTable(r)));
  const soak = soakTable(r);
  if (soak && r.soak) out.push('', '## Soak', '', r.soak.tooShort ? 'Too few samples after warm-up to judge growth.' : `${r.soak.samples.length} samples every ${formatDuration(r.soak.intervalMs)}, warm-up ${formatDuration(r.soak.warmupMs)} ignored; Lasso's own process sampled, apart from the workload and the proxies.`, '', markdownTable(soak));
  const source = r.scenario.source === 'builtin' ? `--scenario ${r.scenario.name}` : `--file ${r.scenario.source}`;
  const replay = `npx lasso battle ${source} --duration ${Math.round(r.scenario.durationMs / 1000)}s --rate ${r.scenario.rate}/s --seed ${r.scenario.seed}${r.options.compare ? ' --compare' : ''}`;
  out.push('', '---', `Charts: \`${r.id}.html\`. Replay: \`${replay}\`.`);
  return `${out.join('\n')}\n`;
}
