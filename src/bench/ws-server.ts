/**
 * Child process of `npm run bench:ws` (run with --expose-gc), in one of three modes (argv[2]):
 *   bare    no Lasso: a plain `ws` broadcast server (ws-bare.ts), the reference the others are
 *           measured against; `emit` sends one synthetic header to every subscriber.
 *   front   one in-process Lasso, chain `bench`, whose SubscriptionService is BenchSubscriptionService,
 *           a fan-out-only stand-in: `emit` hands the same header to every client sink. Measures the
 *           WebSocket front.
 *   engine  the real SubscriptionEngine over a devnet node (argv[3] = JSON { chainId, url, wsUrl }):
 *           blocks are mined by the parent, the engine receives them from the node and fans out.
 * In every mode the moment the fan-out of a block starts (first sink delivery, CLOCK_MONOTONIC ns)
 * is recorded per block number, so the parent can compute client-side latency.
 *
 * IPC: sends { ready, url } once listening; answers
 *   { cmd: 'mem' }            -> { mem }      (after two full GCs)
 *   { cmd: 'emit', round }    -> { emitted }  (bare and front modes: one synthetic fan-out)
 *   { cmd: 't0', number }     -> { t0 }       ({ start, lastWrite } in ns as decimal strings, cpuMicros; null if unknown)
 *   { cmd: 'stats' }          -> { stats }
 */
import { randomBytes } from 'node:crypto';
import { startBareBroadcastServer } from './ws-bare.js';
import { startLasso } from '../app.js';
import { startStaticUpstream } from '../chaos/static-upstream.js';
import { lassoConfigSchema } from '../config/index.js';
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { createLogger } from '../observability/logger.js';
import { LoopLagMonitor } from '../observability/loop-lag.js';
import { LassoMetrics } from '../observability/metrics.js';
import { SubscriptionMetrics } from '../observability/subscription-metrics.js';
import { SubscriptionEngine } from '../subscriptions/index.js';
import type { ClientSubscriptionHandle, SubscriptionService, SubscriptionSink } from '../subscriptions/types.js';

export type BenchServerMode = 'bare' | 'front' | 'engine';

/** Fan-out start and end per block number (CLOCK_MONOTONIC ns). */
const fanOutStarts = new Map<number, bigint>();
const fanOutEnds = new Map<number, bigint>();
/** CPU time (user + system, µs) the process spent between a fan-out's start and its last write. */
const fanOutCpu = new Map<number, number>();
let lastSeen: unknown;

/**
 * Records the start of each block's fan-out (the first delivery of a new header object) and, once
 * the deliveries of this turn are done, its end: the front writes to sockets in one setImmediate
 * per turn, scheduled by the first delivery, so an immediate scheduled after that first delivery
 * runs right after the last socket write.
 */
function stampFanOut(result: unknown, deliverFirst: () => void): void {
  if (result === lastSeen) return deliverFirst();
  lastSeen = result;
  const number = Number((result as { number?: string }).number);
  if (!fanOutStarts.has(number)) fanOutStarts.set(number, process.hrtime.bigint());
  const cpu = process.cpuUsage();
  deliverFirst();
  setImmediate(() => {
    if (fanOutEnds.has(number)) return;
    fanOutEnds.set(number, process.hrtime.bigint());
    const used = process.cpuUsage(cpu);
    fanOutCpu.set(number, used.user + used.system);
  });
}

/**
 * The part of a subscription engine that runs per block once the block is known: one header object
 * handed to every client sink in turn (what the real engine's fan-out does after dedupe/ordering).
 */
export class BenchSubscriptionService implements SubscriptionService {
  private readonly sinks = new Map<string, SubscriptionSink>();

  async subscribe(kind: string, _params: readonly unknown[], sink: SubscriptionSink): Promise<ClientSubscriptionHandle> {
    if (kind !== 'newHeads') throw new RpcError(RpcErrorCode.InvalidParams, `bench engine serves newHeads only, not "${kind}"`);
    const id = '0x' + randomBytes(16).toString('hex');
    this.sinks.set(id, sink);
    return { id, unsubscribe: () => void this.sinks.delete(id) };
  }

  /** Delivers `header` to every sink; returns how many refused (slow clients). */
  fanOut(header: unknown): { delivered: number; refused: number } {
    let delivered = 0;
    let refused = 0;
    stampFanOut(header, () => {
      for (const [id, sink] of this.sinks) {
        if (sink.deliver(header)) delivered++;
        else {
          refused++;
          this.sinks.delete(id);
        }
      }
    });
    return { delivered, refused };
  }

  stats(): ReturnType<SubscriptionService['stats']> {
    return { clientSubscriptions: this.sinks.size, upstreamSubscriptions: this.sinks.size > 0 ? 1 : 0, byKey: { newHeads: { clients: this.sinks.size, provider: 'bench' } } };
  }

  async close(): Promise<void> {
    this.sinks.clear();
  }
}

/** Wraps a real engine so that the start of each block's fan-out is stamped (one identity check per delivery). */
class StampingService implements SubscriptionService {
  constructor(private readonly inner: SubscriptionService) {}

  subscribe(kind: string, params: readonly unknown[], sink: SubscriptionSink): Promise<ClientSubscriptionHandle> {
    return this.inner.subscribe(kind, params, {
      deliver: (result) => {
        let accepted = false;
        stampFanOut(result, () => {
          accepted = sink.deliver(result);
        });
        return accepted;
      },
      end: (error) => sink.end(error),
    });
  }

  stats(): ReturnType<SubscriptionService['stats']> {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A mainnet-sized newHeads header (~1.2 KB of JSON, logsBloom included). */
export function benchHeader(number: number): Record<string, string> {
  const hex = (n: number): string => '0x' + n.toString(16);
  const word = (seed: number): string => '0x' + seed.toString(16).padStart(8, '0').repeat(8);
  return {
    number: hex(number),
    hash: word(number * 7 + 1),
    parentHash: word(number * 7 - 6),
    sha3Uncles: word(3),
    miner: '0x' + 'ab'.repeat(20),
    stateRoot: word(number * 7 + 2),
    transactionsRoot: word(number * 7 + 3),
    receiptsRoot: word(number * 7 + 4),
    logsBloom: '0x' + '0f'.repeat(256),
    difficulty: '0x0',
    gasLimit: hex(30_000_000),
    gasUsed: hex(12_345_678),
    timestamp: hex(1_700_000_000 + number * 12),
    extraData: '0x6265617665726275696c642e6f7267',
    mixHash: word(number * 7 + 5),
    nonce: '0x0000000000000000',
    baseFeePerGas: hex(7_000_000_000),
    withdrawalsRoot: word(number * 7 + 6),
  };
}

/** What the IPC loop needs of the server under test. */
interface BenchTarget {
  url: string;
  connections(): number;
  /** One synthetic fan-out (bare and front modes). */
  emit(header: Record<string, string>): { delivered: number; refused: number };
}

async function startBare(): Promise<BenchTarget> {
  const bare = await startBareBroadcastServer();
  return {
    url: bare.url,
    connections: () => bare.connections(),
    emit(header) {
      let delivered = 0;
      stampFanOut(header, () => {
        delivered = bare.broadcast(header);
      });
      return { delivered, refused: 0 };
    },
  };
}

async function startLassoTarget(mode: 'front' | 'engine', nodeJson: string | undefined): Promise<BenchTarget> {
  const logger = createLogger('silent');
  const websocket = { maxConnections: 50_000, maxSubscriptionsPerConnection: 10_000, pingIntervalMs: 30_000 };
  const fake = new BenchSubscriptionService();
  let chain: Record<string, unknown>;
  if (mode === 'engine') {
    const node = JSON.parse(nodeJson ?? '{}') as { chainId: number; url: string; wsUrl: string };
    chain = { chainId: node.chainId, headPollIntervalMs: 1000, providers: [{ id: 'node-0', url: node.url, wsUrl: node.wsUrl }] };
  } else {
    const upstream = await startStaticUpstream({ port: 0, chainId: 1 });
    chain = { chainId: 1, headPollIntervalMs: 60_000, providers: [{ id: 'static', url: upstream.url }] };
  }
  const config = lassoConfigSchema.parse({ server: { host: '127.0.0.1', port: 0, websocket }, logging: { level: 'silent' }, chains: { bench: chain } });
  const loopLag = new LoopLagMonitor();
  const lasso = await startLasso({
    config,
    logger,
    processMetrics: false,
    subscriptionServiceFactory: (runtime) => {
      if (mode === 'front') return fake;
      // As app.ts builds it, plus the fan-out stamp. Own metrics registries: not scraped here.
      const metrics = new LassoMetrics({ collectProcessMetrics: false });
      const engine = new SubscriptionEngine(runtime, { execute: { metrics, logger, loopLag }, metrics: new SubscriptionMetrics(metrics.registry), logger });
      return new StampingService(engine);
    },
  });
  return {
    url: lasso.url.replace(/^http/, 'ws') + '/ws/rpc/bench',
    connections: () => lasso.ws.stats().connections,
    emit: (header) => fake.fanOut(header),
  };
}

async function main(mode: BenchServerMode, nodeJson: string | undefined): Promise<void> {
  const target = mode === 'bare' ? await startBare() : await startLassoTarget(mode, nodeJson);
  const gc = (globalThis as { gc?: () => void }).gc;
  let syntheticBlock = 1000;

  process.on('message', (msg: { cmd: string; round?: number; number?: number }) => {
    switch (msg.cmd) {
      case 'mem':
        gc?.();
        gc?.();
        process.send?.({ mem: process.memoryUsage(), gc: gc !== undefined });
        return;
      case 'emit': {
        // Block numbers never repeat across runs, so that every fan-out gets a fresh stamp.
        syntheticBlock++;
        process.send?.({ emitted: { round: msg.round ?? 0, number: syntheticBlock, ...target.emit(benchHeader(syntheticBlock)) } });
        return;
      }
      case 't0': {
        const t0 = fanOutStarts.get(msg.number ?? -1);
        const t1 = fanOutEnds.get(msg.number ?? -1);
        process.send?.({ t0: t0 === undefined || t1 === undefined ? null : { start: t0.toString(), lastWrite: t1.toString(), cpuMicros: fanOutCpu.get(msg.number ?? -1) ?? 0 } });
        return;
      }
      case 'stats':
        process.send?.({ stats: { front: { connections: target.connections() } } });
        return;
    }
  });
  process.send?.({ ready: true, url: target.url });
}

const [modeArg, nodeArg] = process.argv.slice(2);
main(modeArg === 'engine' || modeArg === 'bare' ? modeArg : 'front', nodeArg).catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
process.on('SIGTERM', () => process.exit(0));
