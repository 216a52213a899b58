import type { Metric, Registry, RegistryContentType } from 'prom-client';

/** One exported sample, in the shape prom-client's Registry reads from a metric's get(). */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

export interface BoundMetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry<RegistryContentType>[];
}

/**
 * Counters and histograms for the per-request hot path. prom-client's `labels()` children hash and
 * validate their label values again on every `inc()`/`observe()`, about 1 µs a call and four calls
 * per request. A bound series is looked up once per label combination and then only adds numbers.
 * Both classes register in a prom-client Registry like its own metrics (the registry reads any
 * metric through `get()`), so exposition format, escaping and OpenMetrics stay prom-client's.
 */
abstract class BoundMetric<L extends string, S extends { labels: Record<L, string> }> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  /** Every series, for export. */
  private readonly series: S[] = [];
  /** Series by label values: one Map level per label, so a lookup builds no key string. */
  private readonly byValues = new Map<string, unknown>();

  constructor(options: BoundMetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these label values (in labelNames order), created on first use. */
  bind(...values: string[]): S {
    if (values.length !== this.labelNames.length) throw new TypeError(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    let level = this.byValues;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      const value = values[i] as string;
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    let series = level.get(values[last] as string) as S | undefined;
    if (series === undefined) {
      const labels = Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] as string])) as Record<L, string>;
      series = this.create(labels);
      level.set(values[last] as string, series);
      this.series.push(series);
    }
    return series;
  }

  /** Read by prom-client's Registry on every scrape. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const series of this.series) this.export(series, values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series in place: bound series handed out earlier stay valid. */
  reset(): void {
    for (const series of this.series) this.zero(series);
  }

  abstract readonly type: string;
  protected abstract create(labels: Record<L, string>): S;
  protected abstract export(series: S, into: Sample[]): void;
  protected abstract zero(series: S): void;
}

export class CounterSeries<L extends string> {
  value = 0;
  constructor(readonly labels: Record<L, string>) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class BoundCounter<L extends string> extends BoundMetric<L, CounterSeries<L>> {
  readonly type = 'counter';

  protected create(labels: Record<L, string>): CounterSeries<L> {
    return new CounterSeries(labels);
  }

  protected export(series: CounterSeries<L>, into: Sample[]): void {
    into.push({ value: series.value, labels: series.labels });
  }

  protected zero(series: CounterSeries<L>): void {
    series.value = 0;
  }
}

export class HistogramSeries<L extends string> {
  /** Per-bucket counts (not cumulative); the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<L, string>,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

export class BoundHistogram<L extends string> extends BoundMetric<L, HistogramSeries<L>> {
  readonly type = 'histogram';
  private readonly upperBounds: readonly number[];

  constructor(options: BoundMetricOptions<L> & { buckets: readonly number[] }) {
    super(options);
    this.upperBounds = [...options.buckets].sort((a, b) => a - b);
  }

  protected create(labels: Record<L, string>): HistogramSeries<L> {
    return new HistogramSeries(labels, this.upperBounds);
  }

  protected export(series: HistogramSeries<L>, into: Sample[]): void {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    this.upperBounds.forEach((le, i) => {
      cumulative += series.counts[i] as number;
      into.push({ value: cumulative, labels: { le, ...series.labels }, metricName: bucket });
    });
    into.push({ value: series.count, labels: { le: '+Inf', ...series.labels }, metricName: bucket });
    into.push({ value: series.sum, labels: series.labels, metricName: `${this.name}_sum` });
    into.push({ value: series.count, labels: series.labels, metricName: `${this.name}_count` });
  }

  protected zero(series: HistogramSeries<L>): void {
    series.counts.fill(0);
    series.sum = 0;
    series.count = 0;
  }
}
