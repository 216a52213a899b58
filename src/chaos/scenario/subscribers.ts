// The WebSocket subscribers of a scenario: opened before the workload, checked against the devnet's ground truth after it.
import { checkLogs, checkNewHeads, headsFromNotifications, logsFromNotifications } from '../checker/index.js';
import type { BlockWindow, LogFilter } from '../checker/index.js';
import type { RunClock } from '../workload/clock.js';
import { SubscriptionProbe } from '../workload/subscription-probe.js';
import type { ScenarioCluster } from './cluster.js';
import { ScenarioSetupError } from './errors.js';
import { trimLists } from './result.js';
import type { SubscriptionResult } from './types.js';
import { errorMessage } from '../../error-message.js';

/** WebSocket subscribers that run alongside the HTTP workload and are checked against the ground truth. */
export interface SubscriptionSpec {
  kind: 'newHeads' | 'logs';
  /** Shown in reports. @default `<kind>-<i>` */
  name?: string;
  /** Filter for `logs`; `'emitter'` means the devnet's emitter contract (every ping writes one log). @default 'emitter' */
  filter?: LogFilter | 'emitter';
  /** Identical subscribers to open. @default 1 */
  count?: number;
}

/** One open subscriber and what its check needs. */
export interface Subscriber {
  probe: SubscriptionProbe;
  spec: SubscriptionSpec;
  filter: LogFilter | undefined;
  /** Canonical head once the subscription was confirmed: blocks above it must all arrive. */
  headAtSubscribe: number;
}

/**
 * Opens every subscriber, one after the other. Each probe is handed to `opened` before it
 * subscribes, so that the caller stops it even when its subscription fails.
 */
export async function openSubscribers(
  specs: readonly SubscriptionSpec[],
  cluster: ScenarioCluster,
  clock: RunClock,
  opened: (probe: SubscriptionProbe) => void,
): Promise<Subscriber[]> {
  const out: Subscriber[] = [];
  for (const [i, spec] of specs.entries()) {
    const filter = spec.kind === 'logs' ? (spec.filter === undefined || spec.filter === 'emitter' ? { address: cluster.devnet.contracts.emitter } : spec.filter) : undefined;
    for (let n = 0; n < (spec.count ?? 1); n++) {
      const name = `${spec.name ?? `${spec.kind}-${i}`}${(spec.count ?? 1) > 1 ? `#${n}` : ''}`;
      const probe = new SubscriptionProbe({ url: cluster.wsUrl, kind: spec.kind, name, clock, ...(filter && { filter: filter as Record<string, unknown> }) });
      opened(probe);
      try {
        await probe.start();
      } catch (err) {
        throw new ScenarioSetupError(`subscription probe ${name} could not subscribe: ${errorMessage(err)}`, { cause: err });
      }
      out.push({ probe, spec, filter, headAtSubscribe: cluster.devnet.canonical.head() });
    }
  }
  return out;
}

/**
 * Freezes the chain (block production stops), gives every subscriber up to `settleMs` to
 * receive the head, then checks what each received against the ground truth.
 */
export async function checkSubscribers(subscribers: readonly Subscriber[], cluster: ScenarioCluster, settleMs: number): Promise<SubscriptionResult[]> {
  if (subscribers.length === 0) return [];
  cluster.devnet.stopMining();
  const truth = cluster.devnet.canonical;
  const head = truth.head();
  await Promise.allSettled(subscribers.map(({ probe }) => probe.waitFor(() => (probe.highestBlock() ?? -1) >= head, settleMs)));
  return subscribers.map(({ probe, spec, filter, headAtSubscribe }) => {
    const window: BlockWindow = { from: headAtSubscribe + 1, to: head };
    const events = probe.events.filter((e) => e.type === 'notification');
    const results = events.map((e) => e.result);
    const times = events.map((e) => e.tMs);
    const report =
      spec.kind === 'newHeads'
        ? (() => {
            const { heads, malformed } = headsFromNotifications(results, times);
            return checkNewHeads(heads, truth, window, malformed);
          })()
        : (() => {
            const { logs, malformed } = logsFromNotifications(results, times);
            return checkLogs(logs, truth, window, filter, malformed);
          })();
    const subscriptionIds = probe.subscriptionIds();
    const notificationIds = probe.notificationIds();
    const closes = probe.closes().map(({ tMs, code, reason }) => ({ tMs, code, reason }));
    const stableId = subscriptionIds.length === 1 && notificationIds.every((id) => id === subscriptionIds[0]);
    return {
      name: probe.name,
      kind: spec.kind,
      ...(filter && { filter }),
      subscriptionIds,
      notificationIds,
      notifications: results.length,
      closes,
      window,
      report: trimLists(report),
      ok: report.ok && closes.length === 0 && stableId,
    };
  });
}
