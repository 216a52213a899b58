import { Counter, Histogram, Registry } from 'prom-client';
import type { RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundCounter, BoundHistogram } from '../../../src/observability/bound-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same observations through prom-client's own metrics and through the bound ones. */
async function render(kind: 'prom-client' | 'bound', contentType: RegistryContentType = Registry.PROMETHEUS_CONTENT_TYPE): Promise<string> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  const counterOptions = { name: 'x_requests_total', help: 'requests', labelNames: ['chain', 'outcome'] as const, registers: [registry] };
  const histogramOptions = { name: 'x_duration_seconds', help: 'latency "quoted" \\ help', labelNames: ['chain'] as const, buckets: BUCKETS, registers: [registry] };
  const observations: Array<[string, string, number]> = [
    ['a', 'success', 0.0005],
    ['a', 'success', 0.01], // exactly on a bound
    ['b"\\\n', 'failed', 0.5],
    ['a', 'failed', 7],
  ];
  if (kind === 'prom-client') {
    const c = new Counter(counterOptions);
    const h = new Histogram(histogramOptions);
    for (const [chain, outcome, v] of observations) {
      c.inc({ chain, outcome });
      h.observe({ chain }, v);
    }
  } else {
    const c = new BoundCounter(counterOptions);
    const h = new BoundHistogram(histogramOptions);
    for (const [chain, outcome, v] of observations) {
      c.bind(chain, outcome).inc();
      h.bind(chain).observe(v);
    }
  }
  return registry.metrics();
}

describe('bound metrics', () => {
  it('render exactly what prom-client renders for the same observations', async () => {
    expect(await render('bound')).toBe(await render('prom-client'));
  });

  it('render exactly what prom-client renders in OpenMetrics format', async () => {
    expect(await render('bound', Registry.OPENMETRICS_CONTENT_TYPE)).toBe(await render('prom-client', Registry.OPENMETRICS_CONTENT_TYPE));
  });

  it('hand out one series per label combination, and refuse a wrong number of labels', () => {
    const c = new BoundCounter({ name: 'y_total', help: 'y', labelNames: ['a', 'b'] as const, registers: [] });
    expect(c.bind('1', '2')).toBe(c.bind('1', '2'));
    expect(c.bind('1', '2')).not.toBe(c.bind('1', '3'));
    expect(() => c.bind('1')).toThrow(TypeError);
  });

  it('reset with the registry, and series bound before keep counting', async () => {
    const registry = new Registry();
    const c = new BoundCounter({ name: 'z_total', help: 'z', labelNames: ['a'] as const, registers: [registry] });
    const h = new BoundHistogram({ name: 'z_seconds', help: 'z', labelNames: ['a'] as const, buckets: BUCKETS, registers: [registry] });
    const series = c.bind('1');
    const latency = h.bind('1');
    series.inc(3);
    latency.observe(0.5);
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('z_total{a="1"} 0');
    expect(await registry.metrics()).toContain('z_seconds_count{a="1"} 0');
    series.inc();
    latency.observe(0.005);
    const text = await registry.metrics();
    expect(text).toContain('z_total{a="1"} 1');
    expect(text).toContain('z_seconds_bucket{le="0.01",a="1"} 1');
    expect(text).toContain('z_seconds_bucket{le="1",a="1"} 1');
  });
});
