import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { scrapeMetrics, sumSamples } from '../chaos/scenario/index.js';
import type { SoakSpec } from './scenario-types.js';

/** One resource sample. `tMs` is run-clock ms (0 = workload start). */
export interface SoakSample {
  tMs: number;
  heapUsedMb: number;
  rssMb: number;
  /** Active libuv handles and requests of this process (Lasso runs in it). */
  handles: number;
  /** TCP sockets and servers among them. */
  sockets: number;
  /** Live client subscriptions (Lasso's /metrics), plus upstream subscriptions. */
  subscriptions: number | null;
  upstreamSubscriptions: number | null;
}

export type SoakResource = 'heapMb' | 'rssMb' | 'handles' | 'sockets' | 'subscriptions';

export interface SoakGrowth {
  resource: SoakResource;
  /** Median of the first quarter of the samples after warm-up. */
  first: number;
  /** Median of the last quarter. */
  last: number;
  growth: number;
  /** Least-squares slope over the samples after warm-up, per hour. */
  slopePerHour: number;
  maxGrowth?: number;
  passed: boolean;
}

export interface SoakResult {
  intervalMs: number;
  warmupMs: number;
  /** Heap is sampled after a forced full GC when the runtime allows it. */
  gcBeforeSample: boolean;
  samples: SoakSample[];
  growth: SoakGrowth[];
  /** Fewer than 8 samples after warm-up: growth is not judged. */
  tooShort: boolean;
}

/**
 * Samples heap (after a forced GC), RSS, handles, sockets and Lasso's subscription gauges on an
 * interval while a soak runs. Lasso runs in this process, so its leaks show here.
 */
export class SoakSampler {
  readonly samples: { wallMs: number; sample: Omit<SoakSample, 'tMs'> }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private readonly gc: (() => void) | undefined = exposeGc();

  constructor(
    private readonly lassoUrl: string,
    readonly intervalMs: number,
  ) {}

  get gcBeforeSample(): boolean {
    return this.gc !== undefined;
  }

  start(): void {
    const tick = (): void => {
      this.busy = this.sample().catch(() => undefined);
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.busy;
  }

  private async sample(): Promise<void> {
    this.gc?.();
    const mem = process.memoryUsage();
    const resources = process.getActiveResourcesInfo();
    let subscriptions: number | null = null;
    let upstream: number | null = null;
    try {
      const metrics = await scrapeMetrics(this.lassoUrl);
      subscriptions = sumSamples(metrics, 'lasso_ws_client_subscriptions');
      upstream = sumSamples(metrics, 'lasso_subscription_upstream_active');
    } catch {
      // Lasso busy or gone: the memory numbers are still worth keeping.
    }
    this.samples.push({
      wallMs: Date.now(),
      sample: {
        heapUsedMb: mb(mem.heapUsed),
        rssMb: mb(mem.rss),
        handles: resources.length,
        sockets: resources.filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'TCPWRAP').length,
        subscriptions,
        upstreamSubscriptions: upstream,
      },
    });
  }
}

/** Judges growth: median of the last quarter minus median of the first quarter of the post-warm-up samples. */
export function analyzeSoak(samples: SoakSample[], spec: SoakSpec, durationMs: number, gcBeforeSample: boolean): SoakResult {
  const intervalMs = spec.intervalMs ?? 5000;
  const warmupMs = spec.warmupMs ?? Math.max(60_000, durationMs * 0.1);
  const kept = samples.filter((s) => s.tMs >= warmupMs);
  const tooShort = kept.length < 8;
  const resources: [SoakResource, (s: SoakSample) => number | null][] = [
    ['heapMb', (s) => s.heapUsedMb],
    ['rssMb', (s) => s.rssMb],
    ['handles', (s) => s.handles],
    ['sockets', (s) => s.sockets],
    ['subscriptions', (s) => s.subscriptions],
  ];
  const growth: SoakGrowth[] = [];
  if (!tooShort) {
    const q = Math.max(2, Math.floor(kept.length / 4));
    for (const [resource, get] of resources) {
      const points = kept.flatMap((s) => {
        const v = get(s);
        return v === null ? [] : [[s.tMs, v] as [number, number]];
      });
      if (points.length < 8) continue;
      const first = median(points.slice(0, q).map((p) => p[1]));
      const last = median(points.slice(-q).map((p) => p[1]));
      const limit = spec.maxGrowth?.[resource];
      const g = round(last - first);
      growth.push({
        resource,
        first: round(first),
        last: round(last),
        growth: g,
        slopePerHour: round(slope(points) * 3_600_000),
        ...(limit !== undefined && { maxGrowth: limit }),
        passed: limit === undefined || g <= limit,
      });
    }
  }
  return { intervalMs, warmupMs, gcBeforeSample, samples, growth, tooShort };
}

function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    // Soak heap numbers without a full GC are mostly garbage; this is the documented V8 route to one.
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function mb(bytes: number): number {
  return Math.round((bytes / 1048576) * 100) / 100;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
