import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LassoEvent, LassoEvents } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import type { LassoMetrics } from '../observability/metrics.js';
import type { ChainRegistry } from '../providers/chain-registry.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { SubscriptionService } from '../subscriptions/types.js';
import { EventLog } from './event-log.js';
import type { EventLogOptions, LogEntry } from './event-log.js';
import { readTotals } from './metric-totals.js';
import { renderDashboardPage } from './page.js';
import { DashboardSeries } from './series.js';
import type { ChainPoint, SeriesOptions } from './series.js';
import { chainStates } from './state.js';

export interface DashboardOptions extends SeriesOptions, EventLogOptions {
  /** Sampling interval of rates, ratios and latency quantiles, and of state pushes. @default 1_000 */
  sampleIntervalMs?: number;
  /** Pause that gathers log lines and state changes into one push. @default 100 */
  flushDelayMs?: number;
  /** A viewer whose connection holds more unsent bytes than this is dropped (it reconnects). @default 4_194_304 */
  maxBufferedBytes?: number;
}

export const DASHBOARD_DEFAULTS = { sampleIntervalMs: 1_000, flushDelayMs: 100, maxBufferedBytes: 4 * 1024 * 1024 } as const;

export interface DashboardDeps {
  chains: ChainRegistry;
  metrics: LassoMetrics;
  events: LassoEvents;
  subscriptions: (chain: ChainRuntime) => SubscriptionService | undefined;
  logger: Logger;
  now?: () => number;
}

/** Events that change what a provider card shows: pushed at once, not at the next sample. */
const STATE_EVENTS = new Set<LassoEvent['type']>(['breaker', 'cooldown', 'outlier', 'subscription_failover', 'gap_fill']);

/**
 * The live dashboard: `GET /dashboard` (the page) and `GET /dashboard/events` (Server-Sent
 * Events: `init` with history, then `state` every sample and at once on a breaker change, and
 * `log` lines). Samples Lasso's own metrics once a second whether or not anyone watches, so a page
 * opened mid-incident still shows the last minutes.
 */
export class Dashboard {
  private readonly options: Required<Pick<DashboardOptions, 'sampleIntervalMs' | 'flushDelayMs' | 'maxBufferedBytes'>>;
  private readonly series: DashboardSeries;
  private readonly log: EventLog;
  private readonly viewers = new Set<ServerResponse>();
  private readonly now: () => number;
  private readonly pendingLines = new Set<LogEntry>();
  private pendingState = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private sampleTimer: NodeJS.Timeout | undefined;
  private sampling = false;
  private page: Promise<string> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: DashboardDeps,
    options: DashboardOptions = {},
  ) {
    this.options = {
      sampleIntervalMs: options.sampleIntervalMs ?? DASHBOARD_DEFAULTS.sampleIntervalMs,
      flushDelayMs: options.flushDelayMs ?? DASHBOARD_DEFAULTS.flushDelayMs,
      maxBufferedBytes: options.maxBufferedBytes ?? DASHBOARD_DEFAULTS.maxBufferedBytes,
    };
    this.now = deps.now ?? Date.now;
    this.series = new DashboardSeries(options);
    this.log = new EventLog(options);
    this.unsubscribe = deps.events.on((event) => this.onEvent(event));
  }

  start(): void {
    if (this.sampleTimer) return;
    void this.sample();
    this.sampleTimer = setInterval(() => void this.sample(), this.options.sampleIntervalMs);
    this.sampleTimer.unref();
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.sampleTimer);
    clearTimeout(this.flushTimer);
    for (const viewer of this.viewers) viewer.end();
    this.viewers.clear();
  }

  /** Serves /dashboard/<rest>; `rest` is the path after /dashboard (empty for the page). */
  async handle(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    if (rest === '') return this.servePage(req, res);
    if (rest === 'events') return this.attachViewer(req, res);
    const text = JSON.stringify({ error: 'not found', routes: ['GET /dashboard', 'GET /dashboard/events (Server-Sent Events)'] });
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async servePage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.page ??= renderDashboardPage();
    let html: string;
    try {
      html = await this.page;
    } catch (err) {
      this.page = undefined;
      this.deps.logger.error({ err }, 'dashboard assets could not be read');
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('dashboard assets are missing from this installation');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : html);
  }

  private attachViewer(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.socket?.setNoDelay(true);
    const series: Record<string, readonly ChainPoint[]> = {};
    for (const chain of this.deps.chains.all()) series[chain.name] = this.series.of(chain.name);
    const init = { windowMs: this.series.windowMs, chains: this.states(), series, log: this.log.list() };
    res.write(`retry: 1000\nevent: init\ndata: ${JSON.stringify(init)}\n\n`);
    this.viewers.add(res);
    res.on('close', () => this.viewers.delete(res));
  }

  private onEvent(event: LassoEvent): void {
    this.pendingLines.add(this.log.add(event));
    if (STATE_EVENTS.has(event.type)) this.pendingState = true;
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.flushDelayMs);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const lines = [...this.pendingLines];
    this.pendingLines.clear();
    const withState = this.pendingState;
    this.pendingState = false;
    this.broadcast(() => lines.map((line) => `event: log\ndata: ${JSON.stringify(line)}\n\n`).join('') + (withState ? this.stateMessage({}) : ''));
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const points = this.series.add(this.now(), await readTotals(this.deps.metrics));
      this.broadcast(() => this.stateMessage(Object.fromEntries(points)));
    } catch (err) {
      this.deps.logger.warn({ err }, 'dashboard sample failed');
    } finally {
      this.sampling = false;
    }
  }

  private stateMessage(points: Record<string, ChainPoint>): string {
    return `event: state\ndata: ${JSON.stringify({ chains: this.states(), points })}\n\n`;
  }

  private states(): ReturnType<typeof chainStates> {
    return chainStates(this.deps.chains, this.deps.subscriptions, this.log);
  }

  /** Sends to every viewer; the message is only built when someone watches. */
  private broadcast(build: () => string): void {
    if (this.viewers.size === 0) return;
    const message = build();
    for (const viewer of this.viewers) {
      if (viewer.writableLength > this.options.maxBufferedBytes) {
        viewer.destroy();
        continue;
      }
      viewer.write(message);
    }
  }
}
