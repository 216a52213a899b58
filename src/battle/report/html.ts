import type { ArmResult, BattleResult } from '../result-types.js';
import { formatDuration, formatMs } from '../units.js';
import { escapeXml, lineChart, stateTimeline } from './svg.js';
import type { ChartBand, ChartMark, ChartSeries } from './svg.js';
import { baselineTable, chaosTable, comparisonTable, episodeDefinitions, episodeTable, keyNumbers, methodTable, providerTable, sloTable, soakTable, subscriberTable, verdictLabel } from './tables.js';
import type { Table } from './tables.js';

const PALETTE = ['#0969da', '#1a7f37', '#bf8700', '#8250df', '#cf222e', '#1b7c83', '#953800', '#57606a'];
const ARM_COLORS: Record<string, string> = { lasso: '#0969da', pinned: '#8c959f', 'viem-fallback': '#1a7f37', 'ethers-fallback': '#bf8700' };

/** A self-contained HTML page: inline CSS, inline SVG charts, no script, no network. */
export function renderHtml(r: BattleResult): string {
  const xMax = Math.max(r.scenario.durationMs, r.lasso.timeSeries.points.length * r.lasso.timeSeries.bucketMs);
  const bands = faultBands(r);
  const marks = chaosMarks(r);
  const points = r.lasso.timeSeries.points;
  const mid = (tMs: number) => tMs + r.lasso.timeSeries.bucketMs / 2;
  const charts: string[] = [];

  charts.push(
    lineChart({
      id: 'chart-latency',
      title: 'Latency percentiles over time (Lasso, log scale)',
      xMax,
      yLabel: 'latency (ms)',
      yScale: 'log',
      yFormat: (v) => formatMs(v).replace(' ', ''),
      series: [
        { name: 'p50', color: PALETTE[1]!, points: points.map((p) => [mid(p.tMs), p.requests === 0 ? null : p.latencyMs.p50]) },
        { name: 'p95', color: PALETTE[2]!, points: points.map((p) => [mid(p.tMs), p.requests === 0 ? null : p.latencyMs.p95]) },
        { name: 'p99', color: PALETTE[4]!, points: points.map((p) => [mid(p.tMs), p.requests === 0 ? null : p.latencyMs.p99]) },
        { name: 'max', color: '#24292f', markers: true, points: points.map((p) => [mid(p.tMs), p.requests === 0 ? null : p.latencyMs.max]) },
      ],
      bands,
      marks,
    }),
  );
  const minSuccess = Math.min(1, ...points.flatMap((p) => (p.successRatio === null ? [] : [(p.success + p.rpcError) / p.requests])));
  charts.push(
    lineChart({
      id: 'chart-success',
      title: 'Success rate over time (Lasso)',
      xMax,
      yLabel: 'success (%)',
      yMin: minSuccess >= 0.99 ? 99 : minSuccess >= 0.9 ? 90 : 0,
      yMax: 100,
      yFormat: (v) => `${v}%`,
      series: [{ name: 'answered requests', color: PALETTE[0]!, width: 2, points: points.map((p) => [mid(p.tMs), p.requests === 0 ? null : (100 * (p.success + p.rpcError)) / p.requests]) }],
      bands,
      marks,
    }),
  );
  const providers = r.scenario.providers.map((p) => p.id);
  charts.push(
    lineChart({
      id: 'chart-share',
      title: 'Traffic share per provider over time (which provider served each request)',
      xMax,
      yLabel: 'share (%)',
      yMin: 0,
      yMax: 100,
      yFormat: (v) => `${v}%`,
      stacked: true,
      series: providers.map((id, i) => ({
        name: id,
        color: PALETTE[i % PALETTE.length]!,
        points: points.map((p) => [mid(p.tMs), p.requests === 0 ? null : (100 * (p.providers[id] ?? 0)) / p.requests] as const),
      })),
      bands,
      marks,
      note: 'Requests that failed were served by no provider: a bar below 100% is failed traffic.',
    }),
  );
  if (r.subscriptions.subscribers > 0) charts.push(subscriptionChart(r, xMax, bands, marks));
  charts.push(breakerTimeline(r, xMax, bands, marks));
  if (r.comparison) charts.push(...comparisonCharts(r.comparison.arms, xMax, bands, marks));
  if (r.soak && r.soak.samples.length > 0) charts.push(...soakCharts(r, xMax, bands, marks));

  const cmp = comparisonTable(r);
  const base = baselineTable(r);
  const soak = soakTable(r);
  const sections = [
    section('SLOs', table(sloTable(r), (row) => (row[3] === 'FAIL' ? 'fail' : row[3] === 'PASS' ? 'pass' : 'na'))),
    section('Key numbers', `<table class="kv">${keyNumbers(r).map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('')}</table>`),
    cmp && r.comparison ? section('Comparison', `<p>Same seed, workload and chaos timeline; one arm after the other, each on a fresh cluster.</p>${table(cmp)}<p>${escapeXml(r.comparison.note)}</p><ul>${r.comparison.arms.map((a) => `<li><b>${escapeXml(a.title)}</b>: ${escapeXml(a.description)}</li>`).join('')}</ul>`) : '',
    base && r.baseline ? section('Baseline', `<p>Compared with <code>${escapeXml(r.baseline.file)}</code> (${escapeXml(r.baseline.startedAt)}), tolerance ${Math.round(r.baseline.tolerance * 100)}%.</p>${table(base, (row) => (row[4] === 'ok' ? 'pass' : 'fail'))}`) : '',
    section('Charts', charts.join('\n')),
    section(
      'Fault episodes',
      r.faults.episodes.length === 0 ? '<p>No fault was injected.</p>' : `${episodeDefinitions(r)
        .map((d) => `<p>${escapeXml(d)}</p>`)
        .join('')}${table(episodeTable(r))}`,
    ),
    section('Chaos timeline', r.lasso.chaos.length === 0 ? '<p>No chaos event.</p>' : table(chaosTable(r))),
    section('Providers', table(providerTable(r))),
    section('Methods', table(methodTable(r))),
    r.subscriptions.subscribers > 0 ? section('Subscribers', table(subscriberTable(r), (row) => (row[8] === 'yes' ? '' : 'fail'))) : '',
    soak ? section('Soak', table(soak, (row) => (row[8] === 'ok' ? '' : 'fail'))) : '',
  ];
  const title = `Battle report: ${r.scenario.name} — ${verdictLabel(r)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeXml(r.scenario.title)} <span class="badge ${r.verdict.passed ? 'pass' : 'fail'}">${verdictLabel(r)}</span></h1>
<p class="meta">Scenario <code>${escapeXml(r.scenario.name)}</code> · seed ${r.scenario.seed} · ${r.scenario.rate} req/s for ${escapeXml(formatDuration(r.scenario.durationMs))} · started ${escapeXml(r.startedAt)} · report <code>${escapeXml(r.id)}</code></p>
${r.scenario.description ? `<p class="desc">${escapeXml(r.scenario.description)}</p>` : ''}
</header>
<main>
${sections.join('\n')}
</main>
<footer>Generated by ${escapeXml(r.generator.name)} ${escapeXml(r.generator.version)}${r.generator.commit ? ` (${escapeXml(r.generator.commit)})` : ''}. The JSON file of the same name (schema <code>${r.schema}</code> v${r.schemaVersion}) is the source of truth.</footer>
</body>
</html>
`;
}

function comparisonCharts(arms: readonly ArmResult[], xMax: number, bands: ChartBand[], marks: ChartMark[]): string[] {
  const ran = arms.filter((a) => !a.error && a.timeSeries.points.length > 0);
  if (ran.length === 0) return [];
  const color = (a: ArmResult, i: number) => ARM_COLORS[a.arm] ?? PALETTE[i % PALETTE.length]!;
  const mid = (a: ArmResult, tMs: number) => tMs + a.timeSeries.bucketMs / 2;
  return [
    lineChart({
      id: 'chart-compare-p99',
      title: 'Comparison: p99 latency over time per arm (log scale)',
      xMax,
      yLabel: 'p99 (ms)',
      yScale: 'log',
      yFormat: (v) => formatMs(v).replace(' ', ''),
      series: ran.map((a, i) => ({ name: a.title, color: color(a, i), width: a.arm === 'lasso' ? 2.5 : 1.5, points: a.timeSeries.points.map((p) => [mid(a, p.tMs), p.requests === 0 ? null : p.p99] as const) })),
      bands,
      marks,
    }),
    lineChart({
      id: 'chart-compare-success',
      title: 'Comparison: success rate over time per arm',
      xMax,
      yLabel: 'success (%)',
      yMax: 100,
      yFormat: (v) => `${v}%`,
      series: ran.map((a, i) => ({ name: a.title, color: color(a, i), width: a.arm === 'lasso' ? 2.5 : 1.5, points: a.timeSeries.points.map((p) => [mid(a, p.tMs), p.successRatio === null ? null : 100 * p.successRatio] as const) })),
      bands,
      marks,
      note: 'Per-bucket success counts only results (JSON-RPC answers passed through count in the totals, not here).',
    }),
  ];
}

/** Delivery lag of newHeads over time, with gaps, duplicates and socket closes as dots. */
function subscriptionChart(r: BattleResult, xMax: number, bands: ChartBand[], marks: ChartMark[]): string {
  const s = r.subscriptions.series;
  const smid = (tMs: number) => tMs + s.bucketMs / 2;
  const summary = `${r.subscriptions.delivered}/${r.subscriptions.expected} delivered, ${r.subscriptions.missed} missed, ${r.subscriptions.duplicates} duplicates, max gap ${r.subscriptions.maxGapBlocks} block(s), ${r.subscriptions.incidents.length} incident(s).`;
  const incidentColor = { gap: '#cf222e', duplicate: '#bf8700', close: '#8250df' } as const;
  const hasLag = s.points.some((p) => p.headLagP50Ms !== undefined && p.headLagP50Ms !== null);
  const series: ChartSeries[] = hasLag
    ? [
        { name: 'delivery lag p50', color: PALETTE[0]!, width: 2, points: s.points.map((p) => [smid(p.tMs), p.headLagP50Ms ?? null]) },
        { name: 'delivery lag max', color: '#24292f', markers: true, points: s.points.map((p) => [smid(p.tMs), p.headLagMaxMs ?? null]) },
      ]
    : [{ name: 'blocks per newHeads subscriber', color: PALETTE[0]!, points: s.points.map((p) => [smid(p.tMs), p.headsPerSubscriber]) }];
  const top = hasLag ? Math.max(1, ...s.points.map((p) => p.headLagMaxMs ?? 0)) : Math.max(1, ...s.points.map((p) => p.headsPerSubscriber ?? 0));
  return lineChart({
    id: 'chart-subscriptions',
    title: hasLag
      ? 'Subscriptions: newHeads delivery lag over time (block mined on the devnet → notification received); gaps, duplicates and closes as dots'
      : `Subscriptions: blocks delivered per newHeads subscriber (per ${formatDuration(s.bucketMs)}); gaps, duplicates and closes as dots`,
    xMax,
    yLabel: hasLag ? 'lag (ms)' : 'blocks',
    yMin: 0,
    series,
    bands,
    marks,
    dots: r.subscriptions.incidents.map((inc) => ({ x: inc.tMs, y: top, color: incidentColor[inc.type], label: `${inc.subscriber}: ${inc.type} (${inc.detail})` })),
    dotKeys: [
      { label: 'gap (blocks skipped)', color: incidentColor.gap },
      { label: 'duplicate', color: incidentColor.duplicate },
      { label: 'socket closed', color: incidentColor.close },
    ],
    note: summary,
  });
}

const BREAKER_COLORS = { closed: '#2da44e', half_open: '#d4a72c', open: '#cf222e' } as const;

/** Each provider channel's breaker state over the run, from the states polled during it. */
function breakerTimeline(r: BattleResult, xMax: number, bands: ChartBand[], marks: ChartMark[]): string {
  const changes = [...r.lasso.breakers].sort((a, b) => a.tMs - b.tMs);
  const channel = (c: { provider: string; field: string }) => `${c.provider} ${c.field.replace(/^breaker:/, '')}`;
  // Every provider's HTTP channel gets a lane (all green says as much as a transition); WebSocket channels when they changed.
  const names = [...new Set([...r.scenario.providers.map((p) => `${p.id} http`), ...changes.map(channel)])].sort();
  const lanes = names.map((name) => {
    const own = changes.filter((c) => channel(c) === name);
    const spans: { from: number; to: number; state: string }[] = [];
    let state = own[0]?.from ?? 'closed';
    let since = 0;
    for (const c of own) {
      spans.push({ from: since, to: c.tMs, state });
      state = c.to;
      since = c.tMs;
    }
    spans.push({ from: since, to: xMax, state });
    return { name, spans: spans.filter((span) => span.to > span.from) };
  });
  const opened = changes.filter((c) => c.to === 'open').length;
  return stateTimeline({
    id: 'chart-breakers',
    title: 'Circuit breakers over time, per provider channel',
    xMax,
    lanes,
    stateColors: BREAKER_COLORS,
    bands,
    marks,
    note: `${opened === 0 ? 'No breaker opened.' : `${opened} opening(s).`} States as polled from /api/providers (about 100 ms resolution).`,
  });
}

function soakCharts(r: BattleResult, xMax: number, faultBandsOfRun: ChartBand[], marks: ChartMark[]): string[] {
  const s = r.soak!.samples;
  const warm = r.soak!.warmupMs;
  const warmBand: ChartBand[] = [{ from: 0, to: warm, label: 'warm-up (not judged)', color: '#8c959f', kind: 'other' }, ...faultBandsOfRun];
  return [
    lineChart({
      id: 'chart-soak-memory',
      title: "Soak: memory of Lasso's process",
      xMax,
      yLabel: 'MB',
      yMin: 0,
      series: [
        { name: 'heap used', color: PALETTE[0]!, points: s.map((x) => [x.tMs, x.heapUsedMb] as const) },
        { name: 'RSS', color: PALETTE[3]!, points: s.map((x) => [x.tMs, x.rssMb] as const) },
      ],
      bands: warmBand,
      marks,
    }),
    lineChart({
      id: 'chart-soak-handles',
      title: 'Soak: handles, sockets, subscriptions',
      xMax,
      yLabel: 'count',
      yMin: 0,
      series: [
        { name: 'active handles', color: PALETTE[1]!, points: s.map((x) => [x.tMs, x.handles] as const) },
        { name: 'TCP sockets', color: PALETTE[2]!, points: s.map((x) => [x.tMs, x.sockets] as const) },
        { name: 'client subscriptions', color: PALETTE[4]!, points: s.map((x) => [x.tMs, x.subscriptions] as const) },
        { name: 'upstream subscriptions', color: PALETTE[5]!, dashed: true, points: s.map((x) => [x.tMs, x.upstreamSubscriptions] as const) },
        { name: 'file descriptors', color: PALETTE[6]!, points: s.map((x) => [x.tMs, x.fds ?? null] as const) },
        { name: 'upstream sockets', color: PALETTE[7]!, dashed: true, points: s.map((x) => [x.tMs, x.upstreamSockets ?? null] as const) },
        { name: 'client WebSockets', color: PALETTE[0]!, dashed: true, points: s.map((x) => [x.tMs, x.wsConnections ?? null] as const) },
      ],
      bands: warmBand,
      marks,
    }),
    // Results written before event-loop delay was sampled have none to draw.
    ...(!s.some((x) => x.eventLoopLagMs !== undefined) ? [] : [lineChart({
      id: 'chart-soak-loop',
      title: 'Soak: event-loop delay (p99 per sample)',
      xMax,
      yLabel: 'ms',
      yMin: 0,
      series: [{ name: 'event-loop delay p99', color: PALETTE[3]!, points: s.map((x) => [x.tMs, x.eventLoopLagMs ?? null] as const) }],
      bands: warmBand,
      marks,
    })]),
  ];
}

function faultBands(r: BattleResult): ChartBand[] {
  const end = r.scenario.durationMs;
  return r.faults.episodes.map((e) => ({ from: e.onsetMs, to: e.repairMs ?? end, label: `${e.label} (${e.targets.join(', ')}): ${formatDuration(e.onsetMs)} – ${e.repairMs === null ? 'end' : formatDuration(e.repairMs)}` }));
}

function chaosMarks(r: BattleResult): ChartMark[] {
  // Starts and one-shot actions only: flap toggles and ends are already the edges of the bands.
  return r.lasso.chaos.filter((e) => e.phase === 'apply' || e.phase === 'start').map((e) => ({ x: e.atMs, label: `${formatDuration(e.atMs)}: ${e.label}` }));
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeXml(title)}</h2>${body}</section>`;
}

function table(t: Table, rowClass?: (row: string[]) => string): string {
  const align = (i: number) => ((t.align?.[i] ?? 'left') === 'right' ? ' class="num"' : '');
  const head = `<tr>${t.header.map((h, i) => `<th${align(i)}>${escapeXml(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((row) => {
    const cls = rowClass?.(row) ?? '';
    return `<tr${cls ? ` class="${cls}"` : ''}>${row.map((c, i) => `<td${align(i)}>${escapeXml(c)}</td>`).join('')}</tr>`;
  });
  return `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

const CSS = `
:root{color-scheme:light}
body{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
header,main,footer{max-width:1000px;margin:0 auto;padding:12px 20px}
header{background:#fff;border-bottom:1px solid #d0d7de;max-width:none;padding:16px calc(50% - 480px)}
h1{font-size:22px;margin:4px 0}
h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;margin:2px 0}.desc{max-width:900px}
.badge{font-size:13px;padding:2px 10px;border-radius:12px;color:#fff;vertical-align:middle}
.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}
table{border-collapse:collapse;background:#fff;margin:6px 0;font-size:13px;width:100%}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.pass td:nth-child(4){color:#1a7f37;font-weight:600}tr.fail td{background:#ffebe9}tr.na td:nth-child(4){color:#57606a}
table.kv th{width:200px}
figure.chart{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:12px 0;padding:8px 8px 4px}
figure.chart svg{display:block;max-width:100%;height:auto}
figcaption{font-weight:600;margin:0 0 4px 4px}
.tick{font-size:10px;fill:#57606a}.axis{font-size:11px;fill:#57606a}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;color:#57606a;margin:2px 8px}
.legend i{display:inline-block;width:14px;height:8px;margin-right:4px;vertical-align:middle;border-radius:2px}
.legend i.mark-key{width:0;height:12px;border-left:2px dashed #cf222e;border-radius:0}
.note{font-size:12px;color:#57606a;margin:2px 8px}
footer{color:#57606a;font-size:12px;padding-bottom:30px}
code{background:#eff1f3;padding:0 4px;border-radius:4px}
`;
