import type { Server } from 'node:http';
import type { LassoConfig } from './config/index.js';
import { LassoEvents } from './observability/events.js';
import { createLogger } from './observability/logger.js';
import type { Logger } from './observability/logger.js';
import { LoopLagMonitor } from './observability/loop-lag.js';
import { SubscriptionMetrics } from './observability/subscription-metrics.js';
import { SubscriptionEngine } from './subscriptions/engine.js';
import { LassoMetrics } from './observability/metrics.js';
import { WsMetrics } from './observability/ws-metrics.js';
import { ChainRegistry } from './providers/chain-registry.js';
import { ChainRuntime } from './providers/chain-runtime.js';
import { createHttpFront, listen } from './server/http-server.js';
import { RouteCache } from './server/resolve-route.js';
import { attachWsFront } from './server/ws-front.js';
import type { WsFront } from './server/ws-front.js';
import type { SubscriptionService } from './subscriptions/types.js';

export interface StartLassoOptions {
  config: LassoConfig;
  /** Defaults to a pino logger at the config's level. */
  logger?: Logger;
  /** Override the configured listen port (0 = ephemeral, as tests use). */
  port?: number;
  /** Collect Node process metrics (heap, event loop lag) into /metrics. @default true */
  processMetrics?: boolean;
  /** Clock and randomness, injectable for deterministic tests. */
  now?: () => number;
  random?: () => number;
  /**
   * Builds the subscription engine of each chain, served over /ws/rpc/... (tests pass a fake).
   * Services built here are closed with Lasso. @default a SubscriptionEngine per chain
   */
  subscriptionServiceFactory?: (chain: ChainRuntime) => SubscriptionService;
}

export interface LassoInstance {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  readonly url: string;
  readonly port: number;
  readonly chains: ChainRegistry;
  readonly metrics: LassoMetrics;
  readonly logger: Logger;
  /** Breaker transitions, failovers, cooldowns, reorgs... of every chain, as they happen. */
  readonly events: LassoEvents;
  /** The client WebSocket front (/ws/rpc/...), on the same port. */
  readonly ws: WsFront;
  /** The subscription service of a chain (by name), e.g. to read its stats. */
  subscriptions(chain: string): SubscriptionService | undefined;
  close(): Promise<void>;
}

/** Starts Lasso: one ChainRuntime per configured chain behind the HTTP front. */
export async function startLasso(options: StartLassoOptions): Promise<LassoInstance> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logging.level);
  const metrics = new LassoMetrics({ collectProcessMetrics: options.processMetrics ?? true });
  const events = new LassoEvents({
    ...(options.now && { now: options.now }),
    onListenerError: (err, event) => logger.error({ err, event: event.type }, 'event listener failed'),
  });
  const runtimes = Object.entries(config.chains).map(
    ([name, chainConfig]) =>
      new ChainRuntime(name, chainConfig, { metrics, logger, events, ...(options.now && { now: options.now }), ...(options.random && { random: options.random }) }),
  );
  const chains = new ChainRegistry(runtimes);
  const loopLag = new LoopLagMonitor();
  loopLag.start();
  const server: Server = createHttpFront(config.server, { chains, routes: new RouteCache(chains), metrics, logger, loopLag });
  const subscriptionServices = new Map<ChainRuntime, SubscriptionService>();
  const subscriptionMetrics = new SubscriptionMetrics(metrics.registry);
  const makeSubscriptionService =
    options.subscriptionServiceFactory ??
    ((chain: ChainRuntime) => new SubscriptionEngine(chain, { execute: { metrics, logger, loopLag }, metrics: subscriptionMetrics, logger }));
  for (const c of runtimes) subscriptionServices.set(c, makeSubscriptionService(c));
  const ws = attachWsFront(
    server,
    { ...config.server.websocket, maxBatchSize: config.server.maxBatchSize, requestTimeoutMs: config.server.requestTimeoutMs },
    { chains, metrics, wsMetrics: new WsMetrics(metrics.registry), logger, loopLag, subscriptions: (chain) => subscriptionServices.get(chain) },
  );
  const host = config.server.host;
  const port = await listen(server, host, options.port ?? config.server.port);
  for (const chain of runtimes) chain.start();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ listen: url, chains: runtimes.map((c) => ({ name: c.name, chainId: c.chainId, providers: c.providers.map((p) => p.id) })) }, 'lasso listening');

  return {
    url,
    port,
    chains,
    metrics,
    logger,
    events,
    ws,
    subscriptions: (name) => {
      const chain = chains.resolve(name);
      return chain === undefined ? undefined : subscriptionServices.get(chain);
    },
    async close() {
      await ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...subscriptionServices.values()].map((s) => s.close()));
      await Promise.all(runtimes.map((c) => c.close()));
      loopLag.stop();
    },
  };
}
