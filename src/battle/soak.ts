import { readFile, readdir } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
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
  /** p99 event-loop delay over the sampling interval, ms. */
  eventLoopLagMs?: number;
  /** Open file descriptors of this process (null where /proc is missing). */
  fds?: number | null;
  /** Established TCP connections to the providers (Lasso's sockets to its upstreams). */
  upstreamSockets?: number | null;
  /** Open client WebSocket connections (Lasso's /metrics). */
  wsConnections?: number | null;
}

export type SoakResource = 'heapMb' | 'rssMb' | 'eventLoopLagMs' | 'handles' | 'fds' | 'sockets' | 'upstreamSockets' | 'wsConnections' | 'subscriptions';

/** Hours a fitted growth rate is projected over to judge a leak. */
export const SOAK_PROJECTION_HOURS = 48;

export interface SoakGrowth {
  resource: SoakResource;
  /** Median of the first quarter of the samples after warm-up. */
  first: number;
  /** Median of the last quarter. */
  last: number;
  growth: number;
  /** Robust (Theil-Sen: median of pairwise) slope over the samples after warm-up, per hour. */
  slopePerHour: number;
  /** slopePerHour x {@link SOAK_PROJECTION_HOURS}: the growth a 48-hour run would see at this rate (an extrapolation). */
  projected48h: number;
  maxGrowth?: number;
  /** Largest tolerated projected growth over 48 hours. */
  max48h?: number;
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

  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly lassoUrl: string,
    /** Ports of the providers (fault proxies): connections to them are Lasso's upstream sockets. */
    private readonly upstreamPorts: readonly number[],
    readonly intervalMs: number,
  ) {}

  get gcBeforeSample(): boolean {
    return this.gc !== undefined;
  }

  start(): void {
    this.loopDelay.enable();
    const tick = (): void => {
      this.busy = this.sample().catch(() => undefined);
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.loopDelay.disable();
    await this.busy;
  }

  private async sample(): Promise<void> {
    const eventLoopLagMs = Math.round(this.loopDelay.percentile(99) / 1e4) / 100;
    this.loopDelay.reset();
    this.gc?.();
    const mem = process.memoryUsage();
    const resources = process.getActiveResourcesInfo();
    const [fds, upstreamSockets] = await Promise.all([countFds(), countEstablished(this.upstreamPorts)]);
    let subscriptions: number | null = null;
    let upstream: number | null = null;
    let wsConnections: number | null = null;
    try {
      const metrics = await scrapeMetrics(this.lassoUrl);
      subscriptions = sumSamples(metrics, 'lasso_ws_client_subscriptions');
      upstream = sumSamples(metrics, 'lasso_subscription_upstream_active');
      wsConnections = sumSamples(metrics, 'lasso_ws_client_connections');
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
        eventLoopLagMs,
        fds,
        upstreamSockets,
        wsConnections,
      },
    });
  }
}

async function countFds(): Promise<number | null> {
  try {
    return (await readdir('/proc/self/fd')).length;
  } catch {
    return null;
  }
}

/**
 * Established TCP connections whose remote port is one of `ports`, from /proc/net/tcp{,6}. The
 * proxies live in this process too, so only the connecting side (remote = proxy port) is counted.
 */
async function countEstablished(ports: readonly number[]): Promise<number | null> {
  const wanted = new Set(ports);
  let found = false;
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    found = true;
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[2] = remote "ADDR:PORT" (hex), cols[3] = state (01 = ESTABLISHED).
      if (cols[3] !== '01' || !cols[2]) continue;
      if (wanted.has(parseInt(cols[2].slice(cols[2].indexOf(':') + 1), 16))) n++;
    }
  }
  return found ? n : null;
}

/** Default bounds of the projected 48-hour growth, per resource: what a leak would have to stay under. */
export const DEFAULT_SOAK_MAX_48H: Required<NonNullable<SoakSpec['max48h']>> = {
  heapMb: 256,
  rssMb: 512,
  eventLoopLagMs: 50,
  handles: 256,
  fds: 256,
  sockets: 256,
  upstreamSockets: 64,
  wsConnections: 1,
  subscriptions: 1,
};

const RESOURCES: [SoakResource, (s: SoakSample) => number | null | undefined][] = [
  ['heapMb', (s) => s.heapUsedMb],
  ['rssMb', (s) => s.rssMb],
  ['eventLoopLagMs', (s) => s.eventLoopLagMs],
  ['handles', (s) => s.handles],
  ['fds', (s) => s.fds],
  ['sockets', (s) => s.sockets],
  ['upstreamSockets', (s) => s.upstreamSockets],
  ['wsConnections', (s) => s.wsConnections],
  ['subscriptions', (s) => s.subscriptions],
];

/**
 * Judges growth of every sampled resource after warm-up, two ways: the median of the last quarter
 * minus the median of the first quarter (`maxGrowth`), and a robust slope projected over 48 hours
 * (`max48h`). A resource fails when either bound is exceeded.
 */
export function analyzeSoak(samples: SoakSample[], spec: SoakSpec, durationMs: number, gcBeforeSample: boolean): SoakResult {
  const intervalMs = spec.intervalMs ?? 5000;
  const warmupMs = spec.warmupMs ?? Math.max(60_000, durationMs * 0.1);
  const kept = samples.filter((s) => s.tMs >= warmupMs);
  const tooShort = kept.length < 8;
  const max48h = { ...DEFAULT_SOAK_MAX_48H, ...spec.max48h };
  const growth: SoakGrowth[] = [];
  if (!tooShort) {
    const q = Math.max(2, Math.floor(kept.length / 4));
    for (const [resource, get] of RESOURCES) {
      const points = kept.flatMap((s) => {
        const v = get(s);
        return v === null || v === undefined ? [] : [[s.tMs, v] as [number, number]];
      });
      if (points.length < 8) continue;
      const first = median(points.slice(0, q).map((p) => p[1]));
      const last = median(points.slice(-q).map((p) => p[1]));
      const limit = spec.maxGrowth?.[resource as keyof NonNullable<SoakSpec['maxGrowth']>];
      const g = round(last - first);
      const perHour = theilSen(points) * 3_600_000;
      const projected = round(perHour * SOAK_PROJECTION_HOURS);
      const bound48 = max48h[resource];
      growth.push({
        resource,
        first: round(first),
        last: round(last),
        growth: g,
        slopePerHour: round(perHour),
        projected48h: projected,
        ...(limit !== undefined && { maxGrowth: limit }),
        max48h: bound48,
        passed: (limit === undefined || g <= limit) && projected <= bound48,
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

/**
 * Median of the pairwise slopes: a few GC spikes or a burst of reconnects do not tilt it the way
 * they tilt a least-squares fit. Long runs are thinned to 400 evenly spaced points (80k pairs).
 */
export function theilSen(points: readonly [number, number][]): number {
  const step = Math.max(1, Math.ceil(points.length / 400));
  const p = points.filter((_, i) => i % step === 0);
  const slopes: number[] = [];
  for (let i = 0; i < p.length; i++) for (let j = i + 1; j < p.length; j++) if (p[j]![0] !== p[i]![0]) slopes.push((p[j]![1] - p[i]![1]) / (p[j]![0] - p[i]![0]));
  return slopes.length === 0 ? 0 : median(slopes);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
