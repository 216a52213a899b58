// Before a scenario's workload: its options checked and resolved, the cluster started and warmed up.
import { createRunClock } from '../workload/clock.js';
import { devnetWorkloadChain } from '../workload/devnet-chain.js';
import { DEFAULT_METHOD_MIX, MethodPicker } from '../workload/methods.js';
import type { MethodMix, WorkloadChain } from '../workload/methods.js';
import { deriveSeed } from '../workload/seed.js';
import { createHttpTarget } from '../workload/target.js';
import type { RpcTarget } from '../workload/target.js';
import { providerSpecs, startScenarioCluster } from './cluster.js';
import type { ProviderSpec, ScenarioCluster } from './cluster.js';
import { ScenarioConfigError, ScenarioSetupError } from './errors.js';
import { ProviderMonitor } from './monitor.js';
import type { ScenarioOptions } from './options.js';
import { validateTimeline } from './timeline.js';
import type { ChaosEntry } from './timeline.js';

/** A scenario's options, validated and resolved before anything starts. */
export interface ScenarioPlan {
  providers: (ProviderSpec & { id: string })[];
  chaos: ChaosEntry[];
  mix: Readonly<MethodMix>;
  blockTimeMs: number;
  countMethods: string[];
  /** Funded transfers prepared for the workload's eth_sendRawTransaction calls (with headroom). */
  transactions: number;
}

/** Checks the options (throws `ScenarioConfigError`) and resolves their defaults. */
export function planScenario(options: ScenarioOptions): ScenarioPlan {
  const providers = providerSpecs(options.providers);
  const chaos = options.chaos ?? [];
  validateTimeline(chaos, providers.map((s) => s.id));
  const mix = options.workload.mix ?? DEFAULT_METHOD_MIX;
  const picker = new MethodPicker(mix); // validates the mix before anything starts
  const blockTimeMs = options.blockTimeMs ?? 1000;
  if (!(blockTimeMs >= 0)) throw new ScenarioConfigError('blockTimeMs must be >= 0');
  const sendRawShare = (mix.eth_sendRawTransaction ?? 0) / Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
  const transactions = picker.methods.includes('eth_sendRawTransaction')
    ? Math.ceil(((options.workload.rate * options.workload.durationMs) / 1000) * sendRawShare * 1.3) + 16
    : 0;
  return { providers, chaos, mix, blockTimeMs, countMethods: [...new Set(options.countMethods ?? [])], transactions };
}

export function startCluster(options: ScenarioOptions, plan: ScenarioPlan): Promise<ScenarioCluster> {
  return startScenarioCluster({
    seed: options.seed,
    providers: plan.providers,
    ...(options.lasso && { lasso: options.lasso }),
    ...(options.launchLasso && { launchLasso: options.launchLasso }),
    ...(options.txPerBlock !== undefined && { txPerBlock: options.txPerBlock }),
    countMethods: plan.countMethods,
  });
}

/**
 * Mines a few blocks first, so that log and block ranges have something to cover, waits until
 * Lasso has seen every provider reach them, then runs the scenario's `prepare`.
 */
export async function warmUp(cluster: ScenarioCluster, plan: ScenarioPlan, options: ScenarioOptions): Promise<void> {
  const monitor = new ProviderMonitor({ url: cluster.lasso.url, chain: cluster.chain, clock: createRunClock(), ...(options.pollIntervalMs && { intervalMs: options.pollIntervalMs }) });
  try {
    await cluster.devnet.mineBlock();
    await cluster.devnet.mineBlock();
    await waitForHeads(monitor, plan.providers, cluster.devnet.canonical.head());
  } finally {
    await monitor.close();
  }
  await options.prepare?.(cluster);
}

/** The chain the workload draws its parameters from, with the transfers it may send. */
export function workloadChain(cluster: ScenarioCluster, plan: ScenarioPlan, options: ScenarioOptions): Promise<WorkloadChain> {
  return devnetWorkloadChain(cluster.devnet, { seed: deriveSeed(options.seed, 'transfers'), transactions: plan.transactions });
}

/** Where the workload is sent: Lasso's HTTP endpoint unless the scenario names another target. */
export function openTarget(cluster: ScenarioCluster, options: ScenarioOptions): RpcTarget {
  return options.target ? options.target(cluster) : createHttpTarget({ url: cluster.rpcUrlFor(options.workload.strategy) });
}

/** Waits until Lasso has polled every provider's head up to at least `minHead` (less a lagging provider's lag). */
async function waitForHeads(monitor: ProviderMonitor, specs: readonly (ProviderSpec & { id: string })[], minHead: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const sample = await monitor.poll();
    const providers = sample?.providers ?? {};
    const reached = (s: ProviderSpec & { id: string }) => {
      const head = providers[s.id]?.head;
      return head !== null && head !== undefined && head >= minHead - (s.lagBlocks ?? 0);
    };
    if (specs.every(reached)) return;
    if (Date.now() > deadline) throw new ScenarioSetupError(`Lasso did not see every provider's head reach ${minHead} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
