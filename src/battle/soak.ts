import { readFile, readdir, readlink } from 'node:fs/promises';
import { scrapeMetrics, sumSamples } from '../chaos/scenario/index.js';
import type { MetricSample, ScenarioLasso } from '../chaos/scenario/index.js';
import type { SoakSpec } from './scenario-types.js';

/** One resource sample of Lasso's process. `tMs` is run-clock ms (0 = workload start). */
export interface SoakSample {
  tMs: number;
  /** V8 heap in use (no forced GC: the robust slope sees through the sawtooth). */
  heapUsedMb: number;
  rssMb: number;
  /** Active libuv handles (Lasso's /metrics), less the client connections. */
  handles: number;
  /** TCP sockets of Lasso's process (listening, to upstreams, closing ones), less the client connections. */
  sockets: number;
  /**
   * Established client connections to Lasso's port: as many as the workload's pool keeps open,
   * which follows its latency peaks, so they are recorded but not judged (a connection Lasso
   * failed to close stays in `sockets` as CLOSE_WAIT).
   */
  clientSockets?: number | null;
  /** Live client subscriptions (Lasso's /metrics), plus upstream subscriptions. */
  subscriptions: number | null;
  upstreamSubscriptions: number | null;
  /** p99 event-loop delay since the previous scrape of Lasso's /metrics, ms. */
  eventLoopLagMs?: number;
  /** Open file descriptors of Lasso's process, less the client connections (null where /proc is missing). */
  fds?: number | null;
  /** Established TCP connections of Lasso's process to the providers. */
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
  /** PID of the process sampled: Lasso alone, without the workload, proxies and devnet driver. */
  lassoPid: number;
  samples: SoakSample[];
  growth: SoakGrowth[];
  /** Fewer than 8 samples after warm-up: growth is not judged. */
  tooShort: boolean;
}

/**
 * Samples Lasso's process on an interval while a soak runs: RSS, file descriptors and TCP sockets
 * from /proc/<pid>, heap, event-loop lag, handles and WebSocket state from its /metrics. Lasso must
 * run in a process of its own, or the harness's retained records would read as Lasso's leak.
 */
export class SoakSampler {
  readonly samples: { wallMs: number; sample: Omit<SoakSample, 'tMs'> }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;

  constructor(
    private readonly lasso: Pick<ScenarioLasso, 'url' | 'pid'>,
    /** Ports of the providers (fault proxies): Lasso's connections to them are its upstream sockets. */
    private readonly upstreamPorts: readonly number[],
    readonly intervalMs: number,
  ) {}

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
    const wallMs = Date.now();
    // A failed scrape (Lasso busy or gone) skips the sample: half a sample would bend the slopes.
    const [metrics, proc] = await Promise.all([scrapeMetrics(this.lasso.url), readProcessFigures(this.lasso.pid, this.upstreamPorts)]);
    const figures = lassoMetricFigures(metrics);
    if (!figures) return;
    this.samples.push({ wallMs, sample: { ...figures, ...proc, handles: figures.handles - (proc.clientSockets ?? 0) } });
  }
}

/** What a soak reads from Lasso's /metrics; null when its process metrics are off. */
export function lassoMetricFigures(metrics: readonly MetricSample[]): Omit<SoakSample, 'tMs' | 'rssMb' | 'fds' | 'sockets' | 'upstreamSockets'> | null {
  const heap = metricValue(metrics, 'lasso_nodejs_heap_size_used_bytes');
  const handles = metricValue(metrics, 'lasso_nodejs_active_handles_total');
  const lag = metricValue(metrics, 'lasso_nodejs_eventloop_lag_p99_seconds');
  if (heap === null || handles === null) return null;
  return {
    heapUsedMb: mb(heap),
    handles,
    ...(lag !== null && { eventLoopLagMs: round(lag * 1000) }),
    subscriptions: sumSamples(metrics, 'lasso_ws_client_subscriptions'),
    upstreamSubscriptions: sumSamples(metrics, 'lasso_subscription_upstream_active'),
    wsConnections: sumSamples(metrics, 'lasso_ws_client_connections'),
  };
}

function metricValue(metrics: readonly MetricSample[], name: string): number | null {
  return metrics.find((m) => m.name === name)?.value ?? null;
}

/** RSS, fds and TCP sockets of `pid` from /proc (rss 0 and the rest null where /proc is missing). */
async function readProcessFigures(pid: number, upstreamPorts: readonly number[]): Promise<Pick<SoakSample, 'rssMb' | 'fds' | 'sockets' | 'upstreamSockets' | 'clientSockets'>> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const rssMb = round((parseVmRssKb(status) ?? 0) / 1024);
  let fdNames: string[];
  try {
    fdNames = await readdir(`/proc/${pid}/fd`);
  } catch {
    return { rssMb, fds: null, sockets: 0, upstreamSockets: null, clientSockets: null };
  }
  const links = await Promise.all(fdNames.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  const inodes = new Set(links.map(socketInode).filter((i): i is number => i !== null));
  const tables = await Promise.all(['tcp', 'tcp6'].map((f) => readFile(`/proc/${pid}/net/${f}`, 'utf8').catch(() => '')));
  const own = tables.flatMap(parseTcpTable).filter((e) => inodes.has(e.inode));
  const wanted = new Set(upstreamPorts);
  const listening = new Set(own.filter((e) => e.state === TCP_LISTEN).map((e) => e.localPort));
  const clientSockets = own.filter((e) => e.state === TCP_ESTABLISHED && listening.has(e.localPort)).length;
  return {
    rssMb,
    fds: fdNames.length - clientSockets,
    sockets: own.length - clientSockets,
    upstreamSockets: own.filter((e) => e.state === TCP_ESTABLISHED && wanted.has(e.remotePort)).length,
    clientSockets,
  };
}

/** Resident set size in kB from the text of /proc/<pid>/status. */
export function parseVmRssKb(status: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** Inode of a socket from its /proc/<pid>/fd link (`socket:[12345]`), null for anything else. */
export function socketInode(link: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

export const TCP_ESTABLISHED = 1;
export const TCP_LISTEN = 10;

export interface TcpEntry {
  localPort: number;
  remotePort: number;
  /** Kernel TCP state (1 = ESTABLISHED, 10 = LISTEN). */
  state: number;
  inode: number;
}

/** Rows of /proc/<pid>/net/tcp or tcp6 (the network namespace's whole table: filter by the process's socket inodes). */
export function parseTcpTable(text: string): TcpEntry[] {
  const out: TcpEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    const cols = line.trim().split(/\s+/);
    const [, local, remote, state] = cols;
    if (cols.length < 10 || !local || !remote || !state) continue;
    out.push({ localPort: port(local), remotePort: port(remote), state: parseInt(state, 16), inode: Number(cols[9]) });
  }
  return out;
}

/** Port of a hex `ADDR:PORT` column. */
function port(address: string): number {
  return parseInt(address.slice(address.indexOf(':') + 1), 16);
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
export function analyzeSoak(samples: SoakSample[], spec: SoakSpec, durationMs: number, lassoPid: number): SoakResult {
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
  return { intervalMs, warmupMs, lassoPid, samples, growth, tooShort };
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
