import type { Server } from 'node:http';
import { attachCache, detachCache } from './cache/index.js';
import type { LassoConfig } from './config/index.js';
import { Dashboard } from './dashboard/dashboard.js';
import { FilterService } from './filters/filter-service.js';
import { FilterMetrics } from './observability/filter-metrics.js';
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
import { FrontDoor } from './front-door/front-door.js';
import { RateLimits } from './front-door/rate-limit.js';
import { FrontDoorMetrics } from './observability/front-door-metrics.js';
import { reloadConfig } from './reload.js';
import { createHttpFront } from './server/http-server.js';
import { listen, urlAuthority } from './server/listen.js';
import type { ReloadResult } from './server/http-server.js';
import { SharedHeadStore } from './shared-state/shared-head-store.js';
import { SharedRedis } from './shared-state/shared-redis.js';
import type { HealthSource } from './server/admin-views.js';
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
  /**
   * Reads the config again for a reload (SIGHUP, `POST /api/admin/reload`); throws ConfigError
   * when the file is invalid. Without it, reloads are refused.
   */
  loadConfig?: () => Promise<LassoConfig>;
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
  /** Re-reads the config and applies it without dropping requests or subscriptions; an invalid one is refused and the running one kept. */
  reload(): Promise<ReloadResult>;
  close(): Promise<void>;
}

/** How long startup waits for the shared Redis before serving with local limits. */
const REDIS_STARTUP_WAIT_MS = 2000;

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
      new ChainRuntime(name, chainConfig, { metrics, logger, events, maxUpstreamResponseBytes: config.limits.maxUpstreamResponseBytes, ...(options.now && { now: options.now }), ...(options.random && { random: options.random }) }),
  );
  const chains = new ChainRegistry(runtimes);
  const frontDoorMetrics = new FrontDoorMetrics(metrics.registry);
  const redisConfig = config.sharedState.redis;
  const redis = redisConfig && new SharedRedis({ url: redisConfig.url, keyPrefix: redisConfig.keyPrefix }, logger);
  if (redis) {
    redis.onChange((reachable) => frontDoorMetrics.redisUp.set(reachable ? 1 : 0));
    frontDoorMetrics.redisUp.set(0);
    // Starting while Redis is away is allowed (limits run locally until it answers).
    await redis.ready(REDIS_STARTUP_WAIT_MS);
  }
  const frontDoor = new FrontDoor(
    { auth: config.server.auth, cors: config.server.cors },
    { limits: new RateLimits({ ...(redis && { redis, whenUnreachable: redisConfig?.whenUnreachable }) }), metrics: frontDoorMetrics },
  );
  for (const chain of runtimes) attachCache(chain, chain.config.cache, { metrics: metrics.cache, ...(redis && { redis }) });
  if (redis) {
    const heads = new SharedHeadStore(redis);
    for (const chain of runtimes) chain.view.shareAnsweredHeads(heads, chain.name);
  }
  const healthSources: HealthSource[] = [() => (redis && !redis.reachable ? ['redis unreachable: limits running locally'] : [])];
  const loopLag = new LoopLagMonitor();
  const filters = new FilterService(config.filters, { execute: { metrics, logger, loopLag }, metrics: new FilterMetrics(metrics.registry), ...(redis && { redis }), ...(options.now && { now: options.now }) });
  const subscriptionServices = new Map<ChainRuntime, SubscriptionService>();
  const dashboard = new Dashboard({ chains, metrics, events, logger, subscriptions: (chain) => subscriptionServices.get(chain), ...(options.now && { now: options.now }) });
  const server: Server = createHttpFront(config.server, {
    chains,
    routes: new RouteCache(chains),
    metrics,
    logger,
    loopLag,
    filters,
    frontDoor,
    healthSources,
    dashboard,
    ...(options.loadConfig && { reload: () => reload() }),
  });
  const subscriptionMetrics = new SubscriptionMetrics(metrics.registry);
  const makeSubscriptionService =
    options.subscriptionServiceFactory ??
    ((chain: ChainRuntime) => new SubscriptionEngine(chain, { execute: { metrics, logger, loopLag }, metrics: subscriptionMetrics, logger }));
  for (const c of runtimes) subscriptionServices.set(c, makeSubscriptionService(c));
  const ws = attachWsFront(
    server,
    { ...config.server.websocket, maxBatchSize: config.server.maxBatchSize, requestTimeoutMs: config.server.requestTimeoutMs },
    { chains, metrics, wsMetrics: new WsMetrics(metrics.registry), logger, loopLag, filters, frontDoor, subscriptions: (chain) => subscriptionServices.get(chain) },
  );
  const host = config.server.host;
  const port = await listen(server, host, options.port ?? config.server.port);
  for (const chain of runtimes) chain.start();
  dashboard.start();
  const url = `http://${urlAuthority(host, port)}`;
  logger.info({ listen: url, chains: runtimes.map((c) => ({ name: c.name, chainId: c.chainId, providers: c.providers.map((p) => p.id) })) }, 'lasso listening');

  let current = config;
  // One reload at a time: each one diffs against what the previous one applied.
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<ReloadResult> => {
    const run = reloading.then(reloadOnce, reloadOnce);
    reloading = run;
    return run;
  };
  const reloadOnce = async (): Promise<ReloadResult> => {
    const result = await reloadConfig(current, options.loadConfig, { frontDoor, chains, logger });
    frontDoorMetrics.reloads.inc({ result: result.ok ? 'applied' : 'refused' });
    if (result.ok) current = result.config;
    return result.ok ? { ok: true, changes: result.changes } : result;
  };

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
    reload,
    async close() {
      dashboard.close();
      await ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...subscriptionServices.values()].map((s) => s.close()));
      for (const c of runtimes) detachCache(c);
      await Promise.all(runtimes.map((c) => c.close()));
      filters.close();
      loopLag.stop();
      await redis?.close();
    },
  };
}
