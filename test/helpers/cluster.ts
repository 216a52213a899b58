import { startLasso } from '../../src/app.js';
import type { LassoInstance, StartLassoOptions } from '../../src/app.js';
import { FaultProxy } from '../../src/chaos/index.js';
import { lassoConfigSchema } from '../../src/config/index.js';
import { Devnet } from '../../src/devnet/index.js';
import type { DevnetOptions } from '../../src/devnet/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { getJson } from './rpc.js';
import { waitFor } from './wait.js';

/**
 * Chain settings for subscription tests: 50 ms floor for the block time estimate, quick
 * reconnects, heartbeats and breaker recovery, so failovers happen within a test's time.
 */
export const FAST_SUBSCRIPTION_CHAIN = {
  breaker: { recoveryMs: 200, maxRecoveryMs: 800 },
  subscriptions: {
    minBlockTimeMs: 50,
    graceMs: 50,
    pollIntervalMs: 100,
    stallPenaltyMs: 60_000,
    backfillTimeoutMs: 10_000,
    upstream: { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 500, reconnectBaseMs: 50, reconnectMaxMs: 400 },
  },
};

export interface ClusterOptions {
  nodes?: number;
  /** Extra devnet options (e.g. lagBlocks). */
  devnet?: Omit<DevnetOptions, 'nodes' | 'blockTimeMs'>;
  /** Put a FaultProxy in front of every node (Lasso talks to the proxies). */
  faultProxies?: boolean;
  /** Extra chain config merged into the devnet chain (e.g. maxLagBlocks, breaker). */
  chain?: Record<string, unknown>;
  /** Extra provider config by node id (e.g. maxConcurrent). */
  providers?: Record<string, Record<string, unknown>>;
  server?: Record<string, unknown>;
  seed?: number;
  /** Passed to startLasso: the per-chain subscription engine (tests of the WS front pass a fake). */
  subscriptionServiceFactory?: StartLassoOptions['subscriptionServiceFactory'];
}

export interface Cluster {
  devnet: Devnet;
  lasso: LassoInstance;
  /** Present when `faultProxies` was set: one per node, same order and ids. */
  proxies: Map<string, FaultProxy>;
  /** http://127.0.0.1:PORT/rpc/devnet */
  rpcUrl: string;
  /** ws://127.0.0.1:PORT/ws/rpc/devnet */
  wsUrl: string;
  /** Resolves once Lasso's chain view (which learns heads from its polls) has seen the devnet's head. */
  caughtUp(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Stops interval mining and resolves with the canonical head once it stopped moving (a block being
 * mined when stopMining ran still lands).
 */
export async function stopMiningAndSettle(devnet: Devnet, blockMs: number): Promise<number> {
  devnet.stopMining();
  let head = devnet.canonical.head();
  await waitFor(
    async () => {
      await new Promise((r) => setTimeout(r, 2 * blockMs));
      const now = devnet.canonical.head();
      const stable = now === head;
      head = now;
      return stable;
    },
    { timeoutMs: 5_000, what: 'mining to stop' },
  );
  return head;
}

/** A real devnet (+ optional fault proxies) with an in-process Lasso in front, all on ephemeral ports. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const devnet = await Devnet.start({ ...options.devnet, nodes: options.nodes ?? 3, blockTimeMs: 0 });
  const proxies = new Map<string, FaultProxy>();
  let lasso: LassoInstance | undefined;
  try {
    if (options.faultProxies) {
      for (const node of devnet.nodes()) {
        proxies.set(node.id, await FaultProxy.start({ target: { httpUrl: node.httpUrl, wsUrl: node.wsUrl }, seed: options.seed ?? 1, name: node.id }));
      }
    }
    const config = lassoConfigSchema.parse({
      server: { host: '127.0.0.1', port: 0, ...options.server },
      logging: { level: process.env.LASSO_TEST_LOG ?? 'silent' },
      chains: {
        devnet: {
          chainId: devnet.chainId,
          headPollIntervalMs: 100,
          // Off unless a test asks: these tests watch what reaches the providers, which a cache hides.
          cache: { enabled: false },
          ...options.chain,
          providers: devnet.nodes().map((n, i) => {
            const proxy = proxies.get(n.id);
            return { id: n.id, url: proxy?.httpUrl ?? n.httpUrl, wsUrl: proxy?.wsUrl ?? n.wsUrl, priority: i + 1, ...options.providers?.[n.id] };
          }),
        },
      },
    });
    lasso = await startLasso({
      config,
      logger: createLogger(config.logging.level),
      processMetrics: false,
      ...(options.subscriptionServiceFactory && { subscriptionServiceFactory: options.subscriptionServiceFactory }),
    });
    const started = lasso;
    return {
      devnet,
      lasso: started,
      proxies,
      rpcUrl: `${started.url}/rpc/devnet`,
      wsUrl: `${started.url.replace(/^http/, 'ws')}/ws/rpc/devnet`,
      async caughtUp(timeoutMs = 5000) {
        await waitFor(async () => (await getJson(`${started.url}/api/chains`)).chains[0]?.head === devnet.canonical.head(), {
          timeoutMs,
          what: "the chain view to see the devnet's head",
        });
      },
      async close() {
        await started.close();
        await Promise.all([...proxies.values()].map((p) => p.close()));
        await devnet.stop();
      },
    };
  } catch (err) {
    await lasso?.close();
    await Promise.all([...proxies.values()].map((p) => p.close()));
    await devnet.stop();
    throw err;
  }
}
