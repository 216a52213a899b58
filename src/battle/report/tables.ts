import type { BattleResult } from '../result-types.js';
import { formatSloValue } from '../slo.js';
import { formatDuration, formatMs, formatPct } from '../units.js';

/** A table as header + rows of plain strings, rendered by Markdown, HTML and the terminal alike. */
export interface Table {
  header: string[];
  rows: string[][];
  /** Column alignment (default left). */
  align?: ('left' | 'right')[];
}

export function verdictLabel(r: BattleResult): string {
  return r.verdict.passed ? 'PASS' : 'FAIL';
}

export function sloTable(r: BattleResult): Table {
  return {
    header: ['SLO', 'target', 'measured', 'result', 'detail'],
    rows: r.slos.map((s) => [
      s.name,
      `${s.op === '>=' ? '≥' : '≤'} ${formatSloValue(s.target, s.unit)}`,
      formatSloValue(s.measured, s.unit),
      s.passed ? (s.inconclusive ? 'pass (n/a)' : 'PASS') : 'FAIL',
      s.detail ?? '',
    ]),
    align: ['left', 'right', 'right', 'left', 'left'],
  };
}

export function keyNumbers(r: BattleResult): [string, string][] {
  const t = r.lasso.totals;
  const l = t.latencyMs;
  const subs = r.subscriptions;
  const out: [string, string][] = [
    ['Scenario', `${r.scenario.name} — ${r.scenario.title}`],
    ['Requests', `${t.requests} at ${r.scenario.rate} req/s over ${formatDuration(r.scenario.durationMs)} (seed ${r.scenario.seed})`],
    ['Succeeded', `${formatPct(t.answeredRatio, 3)} (${t.success + t.rpcError} of ${t.requests}; ${t.failed} failed)`],
    ['Latency', `p50 ${formatMs(l.p50)} · p90 ${formatMs(l.p90)} · p95 ${formatMs(l.p95)} · p99 ${formatMs(l.p99)} · p99.9 ${formatMs(l.p999)} · max ${formatMs(l.max)}`],
    ['Failovers (Lasso metric)', `${r.lasso.metrics.failovers}: attempts Lasso moved to another provider after one failed (lasso_failovers_total); a failover within the latency bound disturbs no request`],
  ];
  if (subs.subscribers > 0) {
    out.push([
      'Subscriptions',
      `${subs.subscribers} subscribers: ${subs.delivered}/${subs.expected} delivered (${formatPct(subs.deliveryRatio, 3)}), ${subs.missed} missed, ${subs.duplicates} duplicates, max gap ${subs.maxGapBlocks}, ${subs.closes} socket closes`,
    ]);
  }
  const c = r.consistency;
  if (c) {
    const st = c.stalenessBlocks;
    out.push([
      'Consistency probe',
      `${c.headReads} heads and ${c.latestReads} latest blocks read, ${c.receipts} transfers checked after their receipt: ${c.headsBackwards} backwards, ` +
        `${c.olderLatest} latest older than a head given, ${c.bogusHeads} bogus, ${c.staleAfterReceipt} stale after a receipt` +
        `${c.reorgedAfterReceipt > 0 ? ` (${c.reorgedAfterReceipt} more while the block was reorged out)` : ''}; staleness p50 ${st.p50} · p99 ${st.p99} · max ${st.max} blocks; ` +
        `${c.failedReads} reads without an answer, ${c.receiptTimeouts} receipts timed out (${c.requests} probe requests)`,
    ]);
    if (c.examples.length > 0) out.push(['Consistency findings', c.examples.join('; ')]);
    if (c.failures.length > 0) out.push(['Consistency probe reads without an answer', c.failures.join('; ')]);
    const s = c.stale;
    if (s) {
      const read = Object.entries(s.answers).map(([kind, n]) => `${n} ${kind}`).join(', ');
      out.push([
        'Stale answers',
        `${s.staleAnswers} stale of ${read}; ${s.raced} raced a reorg under way, ${s.unchecked} without a canonical value to compare, ${s.failedReads} reads without an answer`,
      ]);
      if (s.examples.length > 0) out.push(['Stale findings', s.examples.join('; ')]);
    }
  }
  const errs = Object.entries(t.errors);
  if (errs.length > 0) out.push(['Errors', errs.map(([k, v]) => `${k}: ${v}`).join(', ')]);
  out.push(['Fault episodes', String(r.faults.episodes.length)]);
  out.push(['Machine', `${r.environment.cpuModel}, ${r.environment.cpus} CPUs, ${r.environment.memoryGb} GB, Node ${r.environment.node}`]);
  out.push(['Generator', `${r.generator.name} ${r.generator.version}${r.generator.commit ? ` (${r.generator.commit})` : ''}`]);
  return out;
}

export function methodTable(r: BattleResult): Table {
  return {
    header: ['method', 'requests', 'success', 'p50', 'p95', 'p99', 'max'],
    rows: Object.entries(r.lasso.totals.byMethod).map(([m, t]) => [m, String(t.requests), formatPct(t.answeredRatio, 3), formatMs(t.latencyMs.p50), formatMs(t.latencyMs.p95), formatMs(t.latencyMs.p99), formatMs(t.latencyMs.max)]),
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  };
}

export function providerTable(r: BattleResult): Table {
  return {
    header: ['provider', 'base latency', 'added jitter', 'served', 'share', 'attempts', 'breaker openings', 'faults injected'],
    rows: r.scenario.providers.map((p) => {
      const res = r.lasso.providers[p.id];
      const fmt = (o: Record<string, number> | undefined) =>
        Object.entries(o ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '—';
      // The base latency is a proxy rule applied to every request: counting it would read as that many faults.
      const injected = { ...res?.faultsApplied };
      if (p.latencyMs !== undefined) delete injected['latency'];
      const openings = Object.entries(res?.breakerTransitions ?? {}).filter(([k]) => k.endsWith('->open'));
      return [
        p.id,
        p.latencyMs === undefined ? '—' : `${p.latencyMs} ms`,
        p.jitterMs ? `0–${p.jitterMs} ms (uniform)` : '—',
        String(res?.served ?? 0),
        formatPct(res?.share ?? 0, 1),
        fmt(res?.attempts),
        openings.length === 0 ? '0' : openings.map(([k, v]) => `${k.split(':')[0]} ${v}`).join(', '),
        fmt(injected),
      ];
    }),
    align: ['left', 'right', 'right', 'right', 'right', 'left', 'left', 'left'],
  };
}

export function episodeTable(r: BattleResult): Table {
  return {
    header: ['#', 'fault', 'targets', 'onset', 'repaired', 'disturbed req.', 'failover time', 'breaker open after', 'recovered after'],
    rows: r.faults.episodes.map((e, i) => [
      String(i + 1),
      e.label,
      e.targets.join(', '),
      formatDuration(e.onsetMs),
      e.repairMs === null ? '—' : formatDuration(e.repairMs),
      String(e.disturbedRequests),
      e.failoverMs === null ? 'not settled' : formatMs(e.failoverMs),
      !e.breakerExpected ? (e.breakerOpenMs === null ? 'n/a' : `${formatMs(e.breakerOpenMs)} (n/a)`) : e.breakerOpenMs === null ? 'did not open' : formatMs(e.breakerOpenMs),
      e.recovery === 'closed' ? formatMs(e.recoveryMs) : e.recovery === 'pending' ? `not closed after ${formatMs(e.recoveryObservedMs)}` : e.recovery === 'not-open' ? 'was not open' : '—',
    ]),
    align: ['right', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
  };
}

/** Each breaker channel that changed state, as one line: `node-1 http: closed → open at 20.2 s → closed at 30.5 s`. */
export function breakerTimelineLines(r: BattleResult): string[] {
  const byChannel = new Map<string, string[]>();
  for (const c of [...r.lasso.breakers].sort((a, b) => a.tMs - b.tMs)) {
    const key = `${c.provider} ${c.field.replace(/^breaker:/, '')}`;
    const steps = byChannel.get(key) ?? [c.from];
    steps.push(`${c.to} at ${formatDuration(c.tMs)}`);
    byChannel.set(key, steps);
  }
  return [...byChannel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([channel, steps]) => `${channel}: ${steps.join(' → ')}`);
}

/** What the fault-episode columns mean, for readers of the table. */
export function episodeDefinitions(r: BattleResult): string[] {
  return [
    `Disturbed req.: requests sent during the episode that failed or took longer than ${r.faults.disturbedLatencyMs} ms.`,
    `Failover time: from the fault's onset to the last disturbed request before ${formatDuration(r.faults.cleanWindowMs)} of undisturbed traffic (0 ms: no request was disturbed).`,
    'The failover count in the key numbers is another measure: attempts Lasso moved to another provider, most of them fast enough to disturb nobody.',
  ];
}

export function chaosTable(r: BattleResult): Table {
  return {
    header: ['t', 'phase', 'event', 'targets', 'took'],
    rows: r.lasso.chaos.map((e) => [
      formatDuration(e.atMs),
      e.phase,
      e.label + (e.error ? ` (error: ${e.error})` : ''),
      e.targets.join(', ') || '—',
      e.doneMs === undefined ? '—' : formatMs(e.doneMs - e.atMs),
    ]),
    align: ['right', 'left', 'left', 'left', 'right'],
  };
}

export function subscriberTable(r: BattleResult): Table {
  return {
    header: ['subscriber', 'kind', 'delivered', 'missed', 'duplicates', 'max gap', 'out of order', 'closes', 'ok'],
    rows: r.subscriptions.bySubscriber.map((s) => [
      s.name,
      s.kind,
      `${s.delivered}/${s.expected}`,
      String(s.missed),
      String(s.duplicates),
      s.kind === 'newHeads' ? String(s.maxGapBlocks) : '—',
      String(s.outOfOrder),
      String(s.closes),
      s.ok ? 'yes' : 'NO',
    ]),
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  };
}

export function comparisonTable(r: BattleResult): Table | undefined {
  const arms = r.comparison?.arms;
  if (!arms) return undefined;
  return {
    header: ['arm', 'requests', 'success', 'failed', 'p50', 'p95', 'p99', 'max', 'worst failover', 'blocks missed', 'duplicate blocks', 'max gap (late)'],
    rows: arms.map((a) =>
      a.error
        ? [a.title, '—', '—', '—', '—', '—', '—', '—', '—', '—', '—', `could not run: ${a.error}`]
        : [
            a.title,
            String(a.requests),
            formatPct(a.answeredRatio, 2),
            String(a.failed),
            formatMs(a.latencyMs.p50),
            formatMs(a.latencyMs.p95),
            formatMs(a.latencyMs.p99),
            formatMs(a.latencyMs.max),
            a.failover.unsettled > 0 ? `${a.failover.unsettled} not settled` : formatMs(a.failover.worstMs),
            a.blocks ? `${a.blocks.missed} of ${a.blocks.expected}${a.blocks.subscribers > 1 ? ` (worst of ${a.blocks.subscribers})` : ''}` : 'n/a',
            a.blocks ? String(a.blocks.duplicates) : 'n/a',
            a.blocks ? `${a.blocks.maxGapBlocks}${a.blocks.outOfOrder > 0 ? ` (${a.blocks.outOfOrder} late)` : ''}` : 'n/a',
          ],
    ),
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  };
}

export function baselineTable(r: BattleResult): Table | undefined {
  const b = r.baseline;
  if (!b) return undefined;
  const fmt = (metric: string, v: number | null) => (v === null ? '—' : /Ratio$/.test(metric) ? formatPct(v, 3) : /Ms$/.test(metric) ? formatMs(v) : String(v));
  return {
    header: ['metric', `baseline (worst of ${b.runs ?? 1})`, 'limit', 'this run', 'result'],
    rows: b.metrics.map((m) => [m.metric, fmt(m.metric, m.baseline), m.limit === undefined ? '—' : fmt(m.metric, m.limit), fmt(m.metric, m.current), m.regressed ? 'REGRESSED' : 'ok']),
    align: ['left', 'right', 'right', 'right', 'left'],
  };
}

export function soakTable(r: BattleResult): Table | undefined {
  const s = r.soak;
  if (!s) return undefined;
  return {
    header: ['resource', 'first quarter (median)', 'last quarter (median)', 'growth', 'limit', 'slope / hour', 'projected 48 h', '48 h limit', 'result'],
    rows: s.growth.map((g) => [
      g.resource,
      String(g.first),
      String(g.last),
      String(g.growth),
      g.maxGrowth === undefined ? '—' : String(g.maxGrowth),
      String(g.slopePerHour),
      g.projected48h === undefined ? '—' : String(g.projected48h),
      g.max48h === undefined ? '—' : String(g.max48h),
      g.passed ? 'ok' : 'GROWING',
    ]),
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  };
}

/** A GitHub-flavoured Markdown table (pipes in cells escaped). */
export function markdownTable(t: Table): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const sep = t.header.map((_, i) => ((t.align?.[i] ?? 'left') === 'right' ? '---:' : '---'));
  return [`| ${t.header.map(cell).join(' | ')} |`, `| ${sep.join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** A plain-text table for the terminal. */
export function textTable(t: Table): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => ((t.align?.[i] ?? 'left') === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(t.header), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line)].join('\n');
}
