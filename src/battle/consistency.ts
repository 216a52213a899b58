import type { ScenarioCluster } from '../chaos/scenario/index.js';
import { ConsistencyProbe, createHttpTarget, deriveSeed, seededAddress } from '../chaos/workload/index.js';
import type { ConsistencySummary, MethodMix } from '../chaos/workload/index.js';
import { BattleUsageError } from './errors.js';
import { CONSISTENCY_SLOS } from './scenario-types.js';
import type { SloSpec } from './scenario-types.js';

/** What the probe found, with the load it added to Lasso. */
export interface ConsistencyRun {
  summary: ConsistencySummary;
  requests: number;
  unanswered: number;
}

/** The scenario sets a consistency SLO, so the probe must run. */
export function needsConsistencyProbe(slos: SloSpec): boolean {
  return CONSISTENCY_SLOS.some((id) => slos[id] !== undefined);
}

/** The probe sends from a test account; the workload's transfers use all of them. */
export function checkConsistencyMix(mix: MethodMix): void {
  if ((mix.eth_sendRawTransaction ?? 0) > 0) throw new BattleUsageError('consistency SLOs cannot be combined with eth_sendRawTransaction in the mix: the probe and the workload would send from the same accounts');
}

/**
 * Starts a consistency probe against the cluster's Lasso over its own HTTP connections; `stop`
 * ends it and hands over its findings.
 */
export function startConsistencyProbe(cluster: ScenarioCluster, seed: number, slos: SloSpec): { stop(): Promise<ConsistencyRun> } {
  const { devnet } = cluster;
  const sender = devnet.freeAccounts[devnet.freeAccounts.length - 1];
  if (!sender) throw new BattleUsageError('the devnet has no free account for the consistency probe');
  const target = createHttpTarget({ url: cluster.rpcUrl, name: 'consistency-probe', connections: 4 });
  const referenceNode = devnet.nodes().find((n) => n.inSync);
  if (slos.staleAnswers !== undefined && !referenceNode) throw new BattleUsageError('no in-sync devnet node to read canonical balances from');
  // Straight to a devnet node, not through its fault proxy nor Lasso: the canonical values.
  const reference = slos.staleAnswers === undefined || !referenceNode ? undefined : createHttpTarget({ url: referenceNode.httpUrl, name: 'canonical-reference', connections: 1 });
  const probe = new ConsistencyProbe({
    target,
    truth: devnet.canonical,
    sender,
    recipient: seededAddress(deriveSeed(seed, 'consistency-recipient')),
    chainId: devnet.chainId,
    baseFeePerGas: devnet.canonical.headBlock().baseFeePerGas,
    // The devnet's own pings move its reserved accounts in every block, on both sides of a reorg.
    ...(reference && { staleReads: { truth: devnet.canonical, reference, accounts: devnet.accounts.filter((a) => a.reserved).map((a) => a.address) } }),
  });
  probe.start();
  let stopped: Promise<ConsistencyRun> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        const summary = await probe.stop();
        await Promise.all([target.close(), reference?.close()]);
        return { summary, requests: probe.requests, unanswered: probe.unanswered };
      })()),
  };
}
