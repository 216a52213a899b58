/**
 * A small SVG chart renderer for the self-contained HTML report: line charts (linear or log
 * scale), stacked areas, shaded fault windows, vertical event marks and dots. No dependency, no
 * script: the output is plain markup that renders anywhere.
 */

/** One line (or one layer of a stacked chart). `null` values break the line. */
export interface ChartSeries {
  name: string;
  color: string;
  points: readonly (readonly [number, number | null])[];
  dashed?: boolean;
  /** Stroke width. @default 1.5 */
  width?: number;
  /** Draw a marker per point instead of a line (a series that would hide under another line). */
  markers?: boolean;
}

/** A shaded interval of the x axis (a fault window). */
export interface ChartBand {
  from: number;
  to: number;
  label: string;
  color?: string;
  /** A fault window (the default) or another shaded span (e.g. a warm-up); sets the rect's class. */
  kind?: 'fault' | 'other';
}

/** A vertical line at one instant (a chaos event). */
export interface ChartMark {
  x: number;
  label: string;
  color?: string;
}

/** A point of interest (a subscription gap). */
export interface ChartDot {
  x: number;
  y: number;
  label: string;
  color: string;
}

export interface LineChartOptions {
  /** Element id, unique in the page. */
  id: string;
  title: string;
  /** @default 960 */
  width?: number;
  /** @default 260 */
  height?: number;
  /** x values are milliseconds from 0 to this. */
  xMax: number;
  yLabel: string;
  yFormat?: (v: number) => string;
  /** @default 'linear' */
  yScale?: 'linear' | 'log';
  yMin?: number;
  yMax?: number;
  series: readonly ChartSeries[];
  /** Draw the series as stacked areas (values add up). */
  stacked?: boolean;
  bands?: readonly ChartBand[];
  marks?: readonly ChartMark[];
  dots?: readonly ChartDot[];
  /** Legend entries for the dots, by colour. */
  dotKeys?: readonly { label: string; color: string }[];
  /** Shown under the chart. */
  note?: string;
}

const M = { left: 64, right: 16, top: 14, bottom: 34 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Renders one chart as a `<figure>` holding an inline `<svg>` and an HTML legend. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 960;
  const height = o.height ?? 260;
  const pw = width - M.left - M.right;
  const ph = height - M.top - M.bottom;
  const xMax = Math.max(1, o.xMax);
  const fmt = o.yFormat ?? defaultFormat;
  const layers = o.stacked ? stack(o.series) : o.series.map((s) => s.points.map(([x, y]) => [x, 0, y] as [number, number, number | null]));

  const values = layers.flatMap((l) => l.flatMap(([, , y]) => (y === null || !Number.isFinite(y) ? [] : [y])));
  const log = o.yScale === 'log';
  let yMin: number;
  let yMax: number;
  if (log) {
    const positive = values.filter((v) => v > 0);
    yMin = o.yMin ?? pow10Floor(positive.length > 0 ? positive.reduce((a, b) => Math.min(a, b)) : 1);
    yMax = o.yMax ?? pow10Ceil(positive.reduce((a, b) => Math.max(a, b), yMin * 10));
  } else {
    yMin = o.yMin ?? values.reduce((a, b) => Math.min(a, b), 0);
    const top = o.yMax ?? values.reduce((a, b) => Math.max(a, b), yMin + 1e-9);
    yMax = o.yMax ?? niceCeil(top === yMin ? yMin + 1 : top);
  }
  const sx = (x: number) => M.left + (Math.min(Math.max(x, 0), xMax) / xMax) * pw;
  const sy = (y: number) => {
    const t = log ? (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (y - yMin) / (yMax - yMin || 1);
    return M.top + ph - Math.min(1, Math.max(0, t)) * ph;
  };

  const parts: string[] = [];
  parts.push(`<rect class="plot" x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#d0d7de"/>`);
  parts.push(bandRects(o.bands, sx, ph));
  // y grid and labels
  for (const t of log ? logTicks(yMin, yMax) : linearTicks(yMin, yMax)) {
    const y = sy(t);
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${f(y)}" y2="${f(y)}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${M.left - 6}" y="${f(y + 3.5)}" text-anchor="end" class="tick">${escapeXml(fmt(t))}</text>`);
  }
  parts.push(timeAxis(xMax, sx, pw, ph, height));
  parts.push(`<text transform="translate(12 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(o.yLabel)}</text>`);

  layers.forEach((layer, i) => {
    const s = o.series[i]!;
    if (o.stacked) {
      const top = layer.filter(([, , y]) => y !== null);
      if (top.length === 0) return;
      const upper = top.map(([x, lo, y]) => `${f(sx(x))},${f(sy(lo + (y ?? 0)))}`);
      const lower = [...top].reverse().map(([x, lo]) => `${f(sx(x))},${f(sy(lo))}`);
      parts.push(`<polygon class="area" points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.75" stroke="${s.color}" stroke-width="0.5"><title>${escapeXml(s.name)}</title></polygon>`);
      return;
    }
    if (s.markers) {
      const dots = layer.flatMap(([x, , y]) => (y === null || !Number.isFinite(y) ? [] : [`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.2"/>`]));
      if (dots.length > 0) parts.push(`<g class="series markers" fill="${s.color}"><title>${escapeXml(s.name)}</title>${dots.join('')}</g>`);
      return;
    }
    const d = path(layer.map(([x, , y]) => [x, y]), sx, sy);
    if (d === '') return;
    parts.push(
      `<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dashed ? ' stroke-dasharray="5 3"' : ''} stroke-linejoin="round"><title>${escapeXml(s.name)}</title></path>`,
    );
  });
  parts.push(markLines(o.marks, sx, ph));
  for (const d of o.dots ?? []) {
    parts.push(`<circle class="dot" cx="${f(sx(d.x))}" cy="${f(sy(d.y))}" r="3.5" fill="${d.color}"><title>${escapeXml(d.label)}</title></circle>`);
  }

  const keys = o.series
    .map((s) => `<span class="key"><i style="background:${s.color}${s.dashed ? ';opacity:.6' : ''}${s.markers ? ';width:6px;height:6px;border-radius:3px' : ''}"></i>${escapeXml(s.name)}</span>`)
    .concat((o.dotKeys ?? []).map((k) => `<span class="key"><i style="background:${k.color};width:7px;height:7px;border-radius:4px"></i>${escapeXml(k.label)}</span>`));
  return figure(o.id, o.title, width, height, parts, legend(keys, o.bands, o.marks), o.note);
}

/** One horizontal lane of a state timeline: the state it is in over time. */
export interface TimelineLane {
  name: string;
  /** Consecutive spans; a lane is drawn only where it has one. */
  spans: readonly { from: number; to: number; state: string }[];
}

export interface StateTimelineOptions {
  id: string;
  title: string;
  xMax: number;
  lanes: readonly TimelineLane[];
  /** Fill colour per state; the legend lists them in this order. */
  stateColors: Readonly<Record<string, string>>;
  bands?: readonly ChartBand[];
  marks?: readonly ChartMark[];
  note?: string;
  /** @default 960 */
  width?: number;
}

/** Renders lanes of states over the run's time axis (e.g. each channel's breaker: closed, open, half-open). */
export function stateTimeline(o: StateTimelineOptions): string {
  const width = o.width ?? 960;
  const laneHeight = 22;
  const ph = Math.max(1, o.lanes.length) * laneHeight;
  const height = ph + M.top + M.bottom;
  const pw = width - M.left - M.right;
  const xMax = Math.max(1, o.xMax);
  const sx = (x: number) => M.left + (Math.min(Math.max(x, 0), xMax) / xMax) * pw;
  const parts: string[] = [`<rect class="plot" x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#d0d7de"/>`];
  o.lanes.forEach((lane, i) => {
    const y = M.top + i * laneHeight;
    parts.push(`<text x="${M.left - 6}" y="${f(y + laneHeight / 2 + 3.5)}" text-anchor="end" class="tick">${escapeXml(lane.name)}</text>`);
    for (const span of lane.spans) {
      const x0 = sx(span.from);
      const x1 = sx(span.to);
      parts.push(
        `<rect class="series state state-${escapeXml(span.state)}" x="${f(x0)}" y="${f(y + 4)}" width="${f(Math.max(1, x1 - x0))}" height="${laneHeight - 8}" fill="${o.stateColors[span.state] ?? '#8c959f'}">` +
          `<title>${escapeXml(`${lane.name}: ${span.state} ${formatTime(span.from, xMax)} – ${formatTime(span.to, xMax)}`)}</title></rect>`,
      );
    }
  });
  // Bands go over the lanes here (lanes are opaque), lightly enough to read the states through.
  parts.push(bandRects(o.bands, sx, ph), timeAxis(xMax, sx, pw, ph, height), markLines(o.marks, sx, ph));
  const keys = Object.entries(o.stateColors).map(([state, color]) => `<span class="key"><i style="background:${color}"></i>${escapeXml(state)}</span>`);
  return figure(o.id, o.title, width, height, parts, legend(keys, o.bands, o.marks), o.note);
}

function bandRects(bands: readonly ChartBand[] | undefined, sx: (x: number) => number, ph: number): string {
  return (bands ?? [])
    .map((b) => {
      const x0 = sx(b.from);
      const x1 = sx(b.to);
      return `<rect class="band band-${b.kind ?? 'fault'}" x="${f(x0)}" y="${M.top}" width="${f(Math.max(1, x1 - x0))}" height="${ph}" fill="${b.color ?? '#cf222e'}" fill-opacity="0.10"><title>${escapeXml(b.label)}</title></rect>`;
    })
    .join('');
}

function timeAxis(xMax: number, sx: (x: number) => number, pw: number, ph: number, height: number): string {
  const parts: string[] = [];
  for (const t of timeTicks(xMax)) {
    const x = sx(t);
    parts.push(`<line x1="${f(x)}" x2="${f(x)}" y1="${M.top}" y2="${M.top + ph}" stroke="#f3f5f7"/>`);
    parts.push(`<text x="${f(x)}" y="${M.top + ph + 14}" text-anchor="middle" class="tick">${escapeXml(formatTime(t, xMax))}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${height - 4}" text-anchor="middle" class="axis">time since workload start</text>`);
  return parts.join('');
}

function markLines(marks: readonly ChartMark[] | undefined, sx: (x: number) => number, ph: number): string {
  return (marks ?? [])
    .map((m) => {
      const x = sx(m.x);
      const color = m.color ?? '#cf222e';
      return (
        `<line class="mark" x1="${f(x)}" x2="${f(x)}" y1="${M.top}" y2="${M.top + ph}" stroke="${color}" stroke-dasharray="3 3" stroke-width="1"><title>${escapeXml(m.label)}</title></line>` +
        `<path d="M${f(x - 4)},${M.top - 1} L${f(x + 4)},${M.top - 1} L${f(x)},${M.top + 6} Z" fill="${color}"><title>${escapeXml(m.label)}</title></path>`
      );
    })
    .join('');
}

function legend(keys: string[], bands: readonly ChartBand[] | undefined, marks: readonly ChartMark[] | undefined): string {
  const faults = (bands ?? []).some((b) => (b.kind ?? 'fault') === 'fault');
  const others = [...new Map((bands ?? []).filter((b) => b.kind === 'other').map((b) => [b.label, b.color ?? '#8c959f'])).entries()];
  return keys
    .concat(faults ? ['<span class="key"><i style="background:#cf222e;opacity:.25"></i>fault window</span>'] : [])
    .concat(others.map(([label, color]) => `<span class="key"><i style="background:${color};opacity:.25"></i>${escapeXml(label)}</span>`))
    .concat((marks?.length ?? 0) > 0 ? ['<span class="key"><i class="mark-key"></i>chaos event</span>'] : [])
    .join('');
}

function figure(id: string, title: string, width: number, height: number, parts: readonly string[], legendHtml: string, note: string | undefined): string {
  return (
    `<figure class="chart" id="${escapeXml(id)}"><figcaption>${escapeXml(title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">${parts.join('')}</svg>` +
    `<div class="legend">${legendHtml}</div>${note ? `<p class="note">${escapeXml(note)}</p>` : ''}</figure>`
  );
}

function stack(series: readonly ChartSeries[]): [number, number, number | null][][] {
  const base = new Map<number, number>();
  return series.map((s) =>
    s.points.map(([x, y]) => {
      const lo = base.get(x) ?? 0;
      const v = y ?? 0;
      base.set(x, lo + v);
      return [x, lo, y === null ? null : v];
    }),
  );
}

function path(points: readonly (readonly [number, number | null])[], sx: (x: number) => number, sy: (y: number) => number): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${f(sx(x))},${f(sy(y))}`;
    pen = true;
  }
  return d;
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function defaultFormat(v: number): string {
  return Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k` : `${Math.round(v * 100) / 100}`;
}

function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const step = niceStep(v, 5);
  return Math.ceil(v / step) * step;
}

function linearTicks(min: number, max: number): number[] {
  const step = niceStep(max - min, 5);
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) out.push(Math.round(t * 1e6) / 1e6);
  return out;
}

function pow10Floor(v: number): number {
  return 10 ** Math.floor(Math.log10(Math.max(v, 1e-3)));
}

function pow10Ceil(v: number): number {
  return 10 ** Math.ceil(Math.log10(Math.max(v, 1e-3)));
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  const decades = Math.log10(max) - Math.log10(min);
  const mult = decades > 4 ? [1] : [1, 2, 5];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) {
    for (const m of mult) {
      const v = m * 10 ** p;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(Number(v.toPrecision(3)));
    }
  }
  return out;
}

function timeTicks(xMax: number): number[] {
  const candidates = [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000];
  const step = candidates.find((c) => xMax / c <= 12) ?? 3_600_000;
  const out: number[] = [];
  for (let t = 0; t <= xMax + 1; t += step) out.push(t);
  return out;
}

function formatTime(ms: number, xMax: number): string {
  if (xMax <= 120_000) return `${Math.round(ms / 1000)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s === 0 ? `${m}m` : `${m}m${String(s).padStart(2, '0')}`;
}
