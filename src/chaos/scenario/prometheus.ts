import { request } from 'undici';

/** One sample of Prometheus text exposition. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses Prometheus text format (comments and blank lines skipped; label escapes decoded). */
export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

function matches(sample: MetricSample, name: string, labels: Record<string, string>): boolean {
  if (sample.name !== name) return false;
  for (const [k, v] of Object.entries(labels)) if (sample.labels[k] !== v) return false;
  return true;
}

/** Sum of every sample of `name` whose labels include `labels`. */
export function sumSamples(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) if (matches(s, name, labels)) sum += s.value;
  return sum;
}

/** Sums of `name` grouped by the value of label `by` (samples without it are skipped). */
export function groupSamples(samples: readonly MetricSample[], name: string, by: string, labels: Record<string, string> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (!matches(s, name, labels)) continue;
    const key = s.labels[by];
    if (key === undefined) continue;
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

const sampleKey = (s: MetricSample): string =>
  `${s.name}{${Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
    .join(',')}}`;

/**
 * `after - before` per series, for counters (a series absent before counts from 0). Gauges come
 * out as a difference too, which is rarely what you want: read them from `after`.
 */
export function diffSamples(before: readonly MetricSample[], after: readonly MetricSample[]): MetricSample[] {
  const base = new Map(before.map((s) => [sampleKey(s), s.value]));
  return after.map((s) => ({ ...s, value: s.value - (base.get(sampleKey(s)) ?? 0) }));
}

/** GETs `${baseUrl}/metrics` and parses it. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricSample[]> {
  const res = await request(`${baseUrl}/metrics`);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode}`);
  return parsePrometheusText(text);
}
