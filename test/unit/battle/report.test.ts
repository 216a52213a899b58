import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/battle/report/html.js';
import { renderMarkdown } from '../../../src/battle/report/markdown.js';
import { lineChart } from '../../../src/battle/report/svg.js';
import { summaryText } from '../../../src/battle/summary.js';
import { analyzeSoak } from '../../../src/battle/soak.js';
import { syntheticResult } from './fixture.js';

describe('SVG charts', () => {
  it('draws lines, breaks them at nulls, and marks bands, events and dots', () => {
    const svg = lineChart({
      id: 'c',
      title: 'T <1>',
      xMax: 10_000,
      yLabel: 'ms',
      series: [{ name: 'a', color: '#000', points: [[0, 1], [1000, 2], [2000, null], [3000, 4], [4000, 5]] }],
      bands: [{ from: 1000, to: 3000, label: 'fault' }],
      marks: [{ x: 1000, label: 'start' }],
      dots: [{ x: 2000, y: 3, label: 'gap', color: 'red' }],
    });
    const d = /<path class="series" d="([^"]+)"/.exec(svg)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(svg).toContain('T &lt;1&gt;');
    expect(svg).toContain('class="band band-fault"');
    expect(svg).toContain('class="mark"');
    expect(svg).toContain('class="dot"');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('uses decade ticks on a log scale and stacks areas', () => {
    const log = lineChart({ id: 'l', title: 'l', xMax: 1000, yLabel: 'ms', yScale: 'log', series: [{ name: 'p99', color: '#000', points: [[0, 3], [500, 9000]] }] });
    for (const tick of ['1', '10', '100', '1k', '10k']) expect(log).toContain(`class="tick">${tick}</text>`);
    const stacked = lineChart({ id: 's', title: 's', xMax: 1000, yLabel: '%', yMax: 100, stacked: true, series: [{ name: 'a', color: '#111', points: [[0, 50], [1000, 60]] }, { name: 'b', color: '#222', points: [[0, 50], [1000, 40]] }] });
    expect(stacked.match(/<polygon class="area"/g)).toHaveLength(2);
  });
});

describe('reports', () => {
  const r = syntheticResult();

  it('the HTML page is self-contained: no script, no external reference', () => {
    const html = renderHtml(r);
    expect(html).not.toMatch(/<script|<link|@import|src=|url\(/i);
    expect(html.match(/https?:\/\//g)?.every((u) => u === 'http://')).toBe(true); // only the SVG namespace
    expect(html).toContain('xmlns="http://www.w3.org/2000/svg"');
    for (const id of ['chart-latency', 'chart-success', 'chart-share', 'chart-subscriptions', 'chart-breakers', 'chart-compare-p99', 'chart-compare-success', 'chart-soak-memory', 'chart-soak-handles']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('Synthetic &lt;report&gt; &amp; &quot;escaping&quot; check');
  });

  it('Markdown has the verdict, SLO table, comparison, baseline and timeline', () => {
    const md = renderMarkdown(r);
    expect(md).toMatch(/^# Battle report: synthetic — (PASS|FAIL)/);
    for (const h of ['## SLOs', '## Key numbers', '## Comparison', '## Baseline', '## Fault episodes', '## Chaos timeline', '## Soak']) expect(md).toContain(h);
    expect(md).toContain('| Lasso | 1200 |');
    expect(md).toContain('could not run: boom');
    expect(md).toContain('npx lasso battle --scenario synthetic --duration 60s --rate 20/s --seed 1 --compare');
  });

  it('the terminal summary shows the verdict, SLOs and the comparison table', () => {
    const text = summaryText(r);
    expect(text).toContain('Battle synthetic:');
    expect(text).toContain('HTTP success ratio');
    expect(text).toContain('Comparison (same seed, workload and chaos):');
    expect(text).toContain('viem fallback (rank)');
  });
});

describe('soak growth', () => {
  const samples = (growth: number) => Array.from({ length: 40 }, (_, i) => ({ tMs: i * 5000, heapUsedMb: 50 + i * growth, rssMb: 100, handles: 30, sockets: 10, subscriptions: 15, upstreamSubscriptions: 2 }));

  it('passes flat resources and fails sustained growth beyond the limit', () => {
    const flat = analyzeSoak(samples(0), { warmupMs: 10_000, maxGrowth: { heapMb: 5, handles: 0 } }, 200_000, 4242);
    expect(flat.tooShort).toBe(false);
    expect(flat.growth.find((g) => g.resource === 'heapMb')).toMatchObject({ growth: 0, passed: true });
    const leaking = analyzeSoak(samples(0.5), { warmupMs: 10_000, maxGrowth: { heapMb: 5 } }, 200_000, 4242);
    const heap = leaking.growth.find((g) => g.resource === 'heapMb')!;
    expect(heap.passed).toBe(false);
    expect(heap.growth).toBeGreaterThan(10);
    expect(heap.slopePerHour).toBeCloseTo(360, 0);
  });

  it('does not judge a run with too few samples after warm-up', () => {
    expect(analyzeSoak(samples(1).slice(0, 5), { maxGrowth: { heapMb: 1 } }, 25_000, 4242)).toMatchObject({ tooShort: true, growth: [] });
  });
});
