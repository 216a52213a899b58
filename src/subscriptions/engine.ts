import { randomBytes } from 'node:crypto';
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import type { ComponentLogger } from '../observability/component-logger.js';
import type { SubscriptionMetrics } from '../observability/subscription-metrics.js';
import type { ExecuteDeps } from '../pipeline/types.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { WsChannelState, WsStateChange } from '../transport/ws-upstream.js';
import { PipelineReader } from './chain-reader.js';
import type { ChainReader } from './chain-reader.js';
import type { StreamContext, UpstreamSubscribeResult } from './context.js';
import { parseSubscriptionRequest } from './filter.js';
import type { SubscriptionRequest } from './filter.js';
import { HeadStream } from './head-stream.js';
import { LogsStream } from './logs-stream.js';
import { PendingTxStream } from './pending-stream.js';
import type { ClientSubscriptionHandle, SubscriptionService, SubscriptionSink } from './types.js';

export interface SubscriptionEngineDeps {
  /** Deps of the HTTP pipeline, used by backfill and polling reads (unless `reader` is given). */
  execute: ExecuteDeps;
  /** Prometheus metrics; omit in unit tests. */
  metrics?: SubscriptionMetrics;
  /** @default execute.logger */
  logger?: ComponentLogger;
  /** HTTP reads for backfill and polling. @default a PipelineReader over executeRequest */
  reader?: ChainReader;
  /** Client subscription id generator. @default "0x" + 32 random hex chars */
  newId?: () => string;
  /** Longest wait in `subscribe` for a new stream's first upstream subscription. @default connectTimeoutMs + 1000 */
  readyTimeoutMs?: number;
}

type Stream = HeadStream | LogsStream | PendingTxStream;

interface ClientEntry {
  stream: Stream;
  kind: SubscriptionRequest['kind'];
}

/** Engine-level counters for tests and /api. */
export interface EngineDebugStats {
  /** eth_subscribe calls sent upstream, by kind (all results). */
  upstreamSubscribeCalls: Record<string, number>;
  /** Head stream mode (starting | live | switching | polling | stopped), or undefined when there is none. */
  headMode: string | undefined;
  /** Provider of the live newHeads subscription. */
  headProvider: string | undefined;
  /** Current block time estimate in ms. */
  blockTimeMs: number | undefined;
}

const WS_STATE_VALUE: Record<WsChannelState, number> = { idle: 0, closed: 0, connecting: 1, backoff: 1, open: 2 };

/**
 * The SubscriptionService of one chain. Client subscriptions with the same canonical key share one
 * stream and one upstream subscription (reference-counted; released `graceMs` after the last client
 * left). The newHeads stream is the chain's clock: logs and pending-transaction streams depend on
 * it (its active provider, its canonical head sequence, its reorg notices), so it runs while any
 * stream runs.
 */
export class SubscriptionEngine implements SubscriptionService {
  private readonly ctx: StreamContext;
  private readonly newId: () => string;
  private readonly readyTimeoutMs: number;
  private head: HeadStream | undefined;
  private readonly streams = new Map<string, LogsStream | PendingTxStream>();
  private readonly clients = new Map<string, ClientEntry>();
  private readonly graceTimers = new Map<Stream, NodeJS.Timeout>();
  private readonly subscribeCalls: Record<string, number> = {};
  private readonly stateListeners: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly chain: ChainRuntime,
    deps: SubscriptionEngineDeps,
  ) {
    const logger = deps.logger ?? deps.execute.logger;
    const metrics = deps.metrics;
    const config = chain.config.subscriptions;
    this.newId = deps.newId ?? (() => `0x${randomBytes(16).toString('hex')}`);
    this.readyTimeoutMs = deps.readyTimeoutMs ?? config.upstream.connectTimeoutMs + 1_000;
    this.ctx = {
      chain: chain.name,
      providers: chain.providers,
      isLagging: (p) => chain.view.isLagging(p),
      chainHead: () => chain.view.answerHead(),
      reader: deps.reader ?? new PipelineReader(chain, deps.execute),
      config,
      metrics,
      events: chain.events,
      logger,
      now: chain.now,
      observeHead: (provider, number) => {
        if ((provider.head.number ?? -1) < number) chain.view.observeHead(provider, number);
      },
      noteDelivered: (block) => chain.view.noteDelivered(block.number, block.hash),
      countSubscribe: (kind: string, provider: string, result: UpstreamSubscribeResult) => {
        this.subscribeCalls[kind] = (this.subscribeCalls[kind] ?? 0) + 1;
        metrics?.upstreamSubscribes.inc({ chain: chain.name, provider, kind, result });
      },
    };
    if (metrics) {
      for (const p of chain.providers) {
        const ws = p.ws;
        if (!ws) continue;
        const gauge = metrics.upstreamWsState.labels({ chain: chain.name, provider: p.id });
        gauge.set(WS_STATE_VALUE[ws.state]);
        const listener = (change: WsStateChange): void => gauge.set(WS_STATE_VALUE[change.to]);
        ws.on('state', listener);
        this.stateListeners.push(() => ws.off('state', listener));
      }
    }
  }

  async subscribe(kind: string, params: readonly unknown[], sink: SubscriptionSink): Promise<ClientSubscriptionHandle> {
    if (this.closed) throw new RpcError(RpcErrorCode.ServerError, 'subscriptions are shutting down');
    const request = parseSubscriptionRequest(kind, params);
    if (!this.chain.providers.some((p) => p.ws) && request.kind === 'newPendingTransactions') {
      throw new RpcError(RpcErrorCode.InvalidParams, `newPendingTransactions needs a provider with a wsUrl on chain ${this.chain.name}`);
    }
    const stream = this.streamFor(request);
    const id = this.newId();
    stream.clients.add(id, sink);
    this.clients.set(id, { stream, kind: request.kind });
    this.ctx.metrics?.clientSubscriptions.inc({ chain: this.chain.name, kind: request.kind });
    await withTimeout(stream.ready, this.readyTimeoutMs);
    return { id, unsubscribe: () => this.removeClient(id) };
  }

  stats(): { clientSubscriptions: number; upstreamSubscriptions: number; byKey: Record<string, { clients: number; provider: string | undefined }> } {
    const byKey: Record<string, { clients: number; provider: string | undefined }> = {};
    let upstream = 0;
    const all: Stream[] = [...(this.head ? [this.head] : []), ...this.streams.values()];
    for (const s of all) {
      byKey[s.key] = { clients: s.clients.size, provider: s.activeProvider };
      if (s.hasUpstream) upstream++;
    }
    return { clientSubscriptions: this.clients.size, upstreamSubscriptions: upstream, byKey };
  }

  debugStats(): EngineDebugStats {
    return {
      upstreamSubscribeCalls: { ...this.subscribeCalls },
      headMode: this.head?.mode,
      headProvider: this.head?.activeProvider,
      blockTimeMs: this.head?.blockTimeMs,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.graceTimers.values()) clearTimeout(t);
    this.graceTimers.clear();
    for (const s of this.streams.values()) s.stop();
    this.streams.clear();
    this.head?.stop();
    this.head = undefined;
    for (const entry of this.clients.values()) this.ctx.metrics?.clientSubscriptions.dec({ chain: this.chain.name, kind: entry.kind });
    this.clients.clear();
    for (const off of this.stateListeners) off();
  }

  // --- streams and reference counting -----------------------------------------------------------

  private headStream(): HeadStream {
    if (!this.head) {
      const head = new HeadStream(this.ctx, (id) => this.onClientDropped(id));
      this.head = head;
      head.start();
    }
    this.cancelGrace(this.head);
    return this.head;
  }

  private streamFor(request: SubscriptionRequest): Stream {
    if (request.kind === 'newHeads') return this.headStream();
    let stream = this.streams.get(request.key);
    if (!stream) {
      const head = this.headStream();
      const dropped = (id: string): void => this.onClientDropped(id);
      stream =
        request.kind === 'logs'
          ? new LogsStream(this.ctx, head, request.key, request.filter, dropped)
          : new PendingTxStream(this.ctx, head, request.key, request.fullTransactions, dropped);
      this.streams.set(request.key, stream);
    }
    this.cancelGrace(stream);
    return stream;
  }

  private removeClient(id: string): void {
    const entry = this.clients.get(id);
    if (!entry) return;
    this.clients.delete(id);
    entry.stream.clients.remove(id);
    this.ctx.metrics?.clientSubscriptions.dec({ chain: this.chain.name, kind: entry.kind });
    this.releaseIfIdle(entry.stream);
  }

  /** The stream removed a client itself (backpressure, or ended after an unfillable gap). */
  private onClientDropped(id: string): void {
    const entry = this.clients.get(id);
    if (!entry) return;
    this.clients.delete(id);
    this.ctx.metrics?.clientSubscriptions.dec({ chain: this.chain.name, kind: entry.kind });
    this.releaseIfIdle(entry.stream);
  }

  private isIdle(stream: Stream): boolean {
    if (stream.clients.size > 0) return false;
    return !(stream instanceof HeadStream) || stream.dependentCount === 0;
  }

  private releaseIfIdle(stream: Stream): void {
    if (this.closed || !this.isIdle(stream) || this.graceTimers.has(stream)) return;
    const timer = setTimeout(() => this.teardown(stream), this.chain.config.subscriptions.graceMs);
    timer.unref();
    this.graceTimers.set(stream, timer);
  }

  private cancelGrace(stream: Stream): void {
    const timer = this.graceTimers.get(stream);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.graceTimers.delete(stream);
  }

  private teardown(stream: Stream): void {
    this.graceTimers.delete(stream);
    if (this.closed || !this.isIdle(stream)) return;
    stream.stop();
    if (stream instanceof HeadStream) {
      if (this.head === stream) this.head = undefined;
      return;
    }
    if (this.streams.get(stream.key) === stream) this.streams.delete(stream.key);
    if (this.head) this.releaseIfIdle(this.head);
  }
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (never rejects). */
function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
