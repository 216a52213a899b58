import { parseConfigText, startLasso } from '../../index.js';
import type { LassoConfig } from '../../index.js';
import { Devnet } from '../../devnet/index.js';
import { FaultProxy } from '../fault-proxy/proxy.js';
import type { FaultRule } from '../fault-proxy/rules.js';
import { createPrng } from '../prng.js';
import { deriveSeed } from '../workload/seed.js';
import { ScenarioConfigError, ScenarioSetupError } from './errors.js';
import { ProviderFaults } from './provider-faults.js';
import { errorMessage } from '../../error-message.js';

/** One provider of a scenario: a devnet node behind its own fault proxy. */
export interface ProviderSpec {
  /** Provider id in Lasso's config, in chaos targets and in reports. @default `node-<i>` */
  id?: string;
  /**
   * Latency the provider's proxy adds to every answer, in ms: a hosted RPC is tens of ms away,
   * a local anvil 0.2 ms. Survives `clearFaults`.
   * @default 0
   */
  latencyMs?: number;
  /** Extra uniform random latency in [0, jitterMs). @default 0 */
  jitterMs?: number;
  /**
   * The provider's devnet node receives every canonical block this many blocks late: a provider
   * that really has not imported the newest blocks (not a proxy pretending).
   * @default 0
   */
  lagBlocks?: number;
  /** Fault rules installed for the whole run (they also survive `clearFaults`). */
  faults?: FaultRule[];
  /** Extra provider config for Lasso (priority, maxConcurrent, archive...). */
  config?: Record<string, unknown>;
}

/** Lasso config overrides, validated like a config file. */
export interface LassoOverrides {
  /** Merged into the chain config (objects such as `breaker` are merged key by key). */
  chain?: Record<string, unknown>;
  /** Merged into `server`. */
  server?: Record<string, unknown>;
  /** pino level. @default env LASSO_SCENARIO_LOG or 'silent' */
  logLevel?: string;
}

/** What a scenario needs of its Lasso: where it listens, which process runs it, how to stop it. */
export interface ScenarioLasso {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  readonly url: string;
  /** OS process running Lasso: this one, or a child. */
  readonly pid: number;
  close(): Promise<void>;
}

/**
 * Starts the scenario's Lasso from its config text (validated already) and the seed of Lasso's
 * random choices, e.g. in a child process so that its resources can be measured apart from the
 * harness. The default runs Lasso in this process.
 */
export type LassoLauncher = (configText: string, seed: number) => Promise<ScenarioLasso>;

export interface ScenarioClusterOptions {
  seed: number;
  /** Number of providers, or one spec each. @default 3 */
  providers?: number | ProviderSpec[];
  lasso?: LassoOverrides;
  /** Ping transactions per block (each writes one log). @default 2 */
  txPerBlock?: number;
  /** Chain name in Lasso's URLs. @default 'devnet' */
  chain?: string;
  /** Methods whose requests are counted at each proxy (see {@link ProviderFaults.addCounter}). */
  countMethods?: string[];
  /** @default Lasso in this process */
  launchLasso?: LassoLauncher;
}

export interface ScenarioProvider {
  id: string;
  /** Devnet node behind this provider. */
  nodeId: string;
  proxy: FaultProxy;
  faults: ProviderFaults;
  spec: ProviderSpec;
}

/** A running devnet + fault proxies + Lasso, all on ephemeral 127.0.0.1 ports. */
export interface ScenarioCluster {
  readonly devnet: Devnet;
  readonly lasso: ScenarioLasso;
  readonly providers: readonly ScenarioProvider[];
  readonly chain: string;
  /** The validated Lasso config (provider URLs point at the proxies). */
  readonly config: LassoConfig;
  /** `http://127.0.0.1:PORT/rpc/<chain>` */
  readonly rpcUrl: string;
  /** `ws://127.0.0.1:PORT/ws/rpc/<chain>` */
  readonly wsUrl: string;
  provider(id: string): ScenarioProvider;
  /** `rpcUrl` with a strategy segment: `/rpc/<strategy>/<chain>`. */
  rpcUrlFor(strategy?: string): string;
  close(): Promise<void>;
}

/** A provider's simulated conditions as results record them: only the fields that were set. */
export function providerConditions(spec: ProviderSpec & { id: string }): Pick<ProviderSpec, 'latencyMs' | 'jitterMs' | 'lagBlocks' | 'faults'> & { id: string } {
  return {
    id: spec.id,
    ...(spec.latencyMs !== undefined && { latencyMs: spec.latencyMs }),
    ...(spec.jitterMs !== undefined && { jitterMs: spec.jitterMs }),
    ...(spec.lagBlocks !== undefined && { lagBlocks: spec.lagBlocks }),
    ...(spec.faults !== undefined && { faults: spec.faults }),
  };
}

/** Normalises `providers` into specs with ids; throws {@link ScenarioConfigError} on duplicates. */
export function providerSpecs(providers: number | ProviderSpec[] | undefined): (ProviderSpec & { id: string })[] {
  const list = typeof providers === 'number' || providers === undefined ? Array.from({ length: providers ?? 3 }, (): ProviderSpec => ({})) : providers;
  if (list.length === 0) throw new ScenarioConfigError('a scenario needs at least one provider');
  const specs = list.map((p, i) => ({ ...p, id: p.id ?? `node-${i}` }));
  const seen = new Set<string>();
  for (const s of specs) {
    if (!/^[a-zA-Z0-9_-]+$/.test(s.id)) throw new ScenarioConfigError(`provider id ${JSON.stringify(s.id)} must match /^[a-zA-Z0-9_-]+$/`);
    if (seen.has(s.id)) throw new ScenarioConfigError(`duplicate provider id ${s.id}`);
    seen.add(s.id);
  }
  return specs;
}

/**
 * Starts the environment of a scenario: an N-node devnet (no interval mining yet), one fault
 * proxy per node (seeded), and Lasso configured with one provider per proxy. Everything is
 * closed again if any step fails.
 */
export async function startScenarioCluster(options: ScenarioClusterOptions): Promise<ScenarioCluster> {
  const specs = providerSpecs(options.providers);
  const chain = options.chain ?? 'devnet';
  const proxies: FaultProxy[] = [];
  let devnet: Devnet | undefined;
  let lasso: ScenarioLasso | undefined;
  try {
    devnet = await Devnet.start({ nodes: specs.length, blockTimeMs: 0, ...(options.txPerBlock !== undefined && { txPerBlock: options.txPerBlock }) });
    const nodes = devnet.nodes();
    const providers: ScenarioProvider[] = [];
    for (const [i, spec] of specs.entries()) {
      const node = nodes[i]!;
      if (spec.lagBlocks) await devnet.setLag(node.id, spec.lagBlocks);
      const proxy = await FaultProxy.start({
        target: { httpUrl: node.httpUrl, wsUrl: node.wsUrl },
        seed: deriveSeed(options.seed, `proxy:${spec.id}`),
        name: spec.id,
      });
      proxies.push(proxy);
      const faults = new ProviderFaults(proxy);
      const baseline: FaultRule[] = [];
      if (spec.latencyMs || spec.jitterMs) baseline.push({ type: 'latency', ms: spec.latencyMs ?? 0, jitterMs: spec.jitterMs ?? 0, label: 'baseline latency' });
      baseline.push(...(spec.faults ?? []));
      faults.addBaseline(baseline);
      for (const method of options.countMethods ?? []) faults.addCounter(method);
      providers.push({ id: spec.id, nodeId: node.id, proxy, faults, spec });
    }

    const { config, text } = buildLassoConfig(chain, devnet.chainId, providers, options.lasso);
    const lassoSeed = deriveSeed(options.seed, 'lasso');
    lasso = options.launchLasso ? await options.launchLasso(text, lassoSeed) : await startInProcess(config, lassoSeed);
    const started = lasso;
    const startedDevnet = devnet;
    const byId = new Map(providers.map((p) => [p.id, p]));
    const wsBase = started.url.replace(/^http/, 'ws');
    let closing: Promise<void> | undefined;
    return {
      devnet: startedDevnet,
      lasso: started,
      providers,
      chain,
      config,
      rpcUrl: `${started.url}/rpc/${chain}`,
      wsUrl: `${wsBase}/ws/rpc/${chain}`,
      provider(id) {
        const p = byId.get(id);
        if (!p) throw new ScenarioConfigError(`unknown provider ${id}; the scenario has ${[...byId.keys()].join(', ')}`);
        return p;
      },
      rpcUrlFor(strategy) {
        return strategy ? `${started.url}/rpc/${strategy}/${chain}` : `${started.url}/rpc/${chain}`;
      },
      close() {
        closing ??= closeAll(started, proxies, startedDevnet);
        return closing;
      },
    };
  } catch (err) {
    await closeAll(lasso, proxies, devnet);
    if (err instanceof ScenarioConfigError) throw err;
    throw new ScenarioSetupError(`scenario environment failed to start: ${errorMessage(err)}`, { cause: err });
  }
}

async function startInProcess(config: LassoConfig, seed: number): Promise<ScenarioLasso> {
  const instance = await startLasso({ config, port: 0, processMetrics: false, random: createPrng(seed).next });
  return { url: instance.url, pid: process.pid, close: () => instance.close() };
}

async function closeAll(lasso: ScenarioLasso | undefined, proxies: FaultProxy[], devnet: Devnet | undefined): Promise<void> {
  await lasso?.close().catch(() => undefined);
  await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
  await devnet?.stop().catch(() => undefined);
}

function buildLassoConfig(chain: string, chainId: number, providers: ScenarioProvider[], overrides: LassoOverrides = {}): { config: LassoConfig; text: string } {
  const chainConfig = merge(
    {
      chainId,
      // Devnet blocks come every second or so, not every 12 s: poll heads accordingly.
      headPollIntervalMs: 250,
      // Scenarios judge how Lasso handles providers' faults, which cached answers would hide; a scenario about the cache turns it on.
      cache: { enabled: false },
    },
    overrides.chain ?? {},
  );
  const raw = {
    server: merge({ host: '127.0.0.1', port: 0 }, overrides.server ?? {}),
    logging: { level: overrides.logLevel ?? process.env.LASSO_SCENARIO_LOG ?? 'silent' },
    chains: {
      [chain]: {
        ...chainConfig,
        providers: providers.map((p, i) => ({ id: p.id, url: p.proxy.httpUrl, wsUrl: p.proxy.wsUrl, priority: i, ...p.spec.config })),
      },
    },
  };
  const text = JSON.stringify(raw);
  try {
    // JSON is YAML: the public config parser validates overrides with the same messages as a file.
    return { config: parseConfigText(text, {}, 'scenario config'), text };
  } catch (err) {
    throw new ScenarioConfigError(errorMessage(err));
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const current = out[k];
    out[k] = isPlainObject(current) && isPlainObject(v) ? merge(current, v) : v;
  }
  return out;
}
