import type { Server } from 'node:http';
import type { LassoConfig } from './config/index.js';
import { createLogger } from './observability/logger.js';
import type { Logger } from './observability/logger.js';
import { LassoMetrics } from './observability/metrics.js';
import { ChainRegistry } from './providers/chain-registry.js';
import { ChainRuntime } from './providers/chain-runtime.js';
import { createHttpFront, listen } from './server/http-server.js';

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
}

export interface LassoInstance {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  readonly url: string;
  readonly port: number;
  readonly chains: ChainRegistry;
  readonly metrics: LassoMetrics;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Starts Lasso: one ChainRuntime per configured chain behind the HTTP front. */
export async function startLasso(options: StartLassoOptions): Promise<LassoInstance> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logging.level);
  const metrics = new LassoMetrics({ collectProcessMetrics: options.processMetrics ?? true });
  const runtimes = Object.entries(config.chains).map(
    ([name, chainConfig]) =>
      new ChainRuntime(name, chainConfig, { metrics, logger, ...(options.now && { now: options.now }), ...(options.random && { random: options.random }) }),
  );
  const chains = new ChainRegistry(runtimes);
  const server: Server = createHttpFront(config.server, { chains, metrics, logger });
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
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all(runtimes.map((c) => c.close()));
    },
  };
}
