import { describe, it } from 'vitest';
import { check, scenario, subscriptionProviders, subscriptionsClean, sumSamples } from '../../../src/chaos/index.js';

/**
 * Resilience scenarios 2, 7 and 14 (4 is in long-subscription.test.ts): WebSocket subscriptions (newHeads, logs) checked against the
 * devnet's ground truth. Skipped on a build without the WebSocket front.
 */
import { cutActive, expectAllChecksPass, holders, noChaosErrors, resultsDir, wsAvailable } from './ws-scenario-helpers.js';

describe.skipIf(!wsAvailable)('subscription scenarios 2, 7, 14', () => {
  it('2) newHeads across reconnection to another provider: no duplicate, no gap, stable id', async () => {
    const run = await scenario({
      name: '02-newheads-failover',
      title: 'newHeads subscription across a provider failover',
      description:
        'Three newHeads subscribers (500 ms blocks). The provider holding the upstream subscription is cut off for 2 s ' +
        '(WebSocket dropped, connections refused). Lasso moves the subscription to another provider and backfills: each ' +
        'client gets every block exactly once, in order, under the subscription id it was first given, and its socket never closes.',
      seed: 2,
      providers: 3,
      blockTimeMs: 500,
      subscriptions: [{ kind: 'newHeads', count: 3 }],
      workload: { rate: 10, durationMs: 6000 },
      chaos: cutActive(2000, 2000, 'partition'),
      resultsDir,
      checks: [
        noChaosErrors,
        subscriptionsClean(),
        check('the subscription moved to another provider', (ctx) => {
          const h = holders(ctx);
          return { passed: h.length >= 2, measured: h.join(' -> '), expected: '>= 2 providers' };
        }),
      ],
    });
    expectAllChecksPass(run);
  });

  it('7) silent stall (socket open, no notifications): detected within about 2 block times and failed over', async () => {
    const blockTimeMs = 500;
    const stallAt = 2000;
    let stalledAtMs: number | undefined;
    const run = await scenario({
      name: '07-silent-stall',
      title: 'Silent subscription stall (socket open, no notifications)',
      description:
        'The provider holding the newHeads subscription keeps its WebSocket open and answers requests but stops sending ' +
        'notifications (500 ms blocks). Lasso notices within about 2 block times, moves the subscription and backfills: ' +
        'no block is missed or duplicated.',
      seed: 7,
      providers: 3,
      blockTimeMs,
      subscriptions: [{ kind: 'newHeads' }],
      workload: { rate: 10, durationMs: 6000 },
      chaos: [
        {
          at: stallAt,
          action: 'custom',
          name: 'silently stall the provider holding the subscription',
          run: async ({ cluster, clock }) => {
            const [active] = await subscriptionProviders(cluster.lasso.url, cluster.chain);
            if (!active) throw new Error('no provider holds an upstream subscription');
            cluster.provider(active).faults.add([{ type: 'ws_stall' }]);
            stalledAtMs = clock.now();
          },
        },
      ],
      resultsDir,
      checks: [
        noChaosErrors,
        subscriptionsClean(),
        check(`the stall is detected within about 2 block times (${2 * blockTimeMs} ms)`, (ctx) => {
          if (stalledAtMs === undefined) return { passed: false, detail: 'stall not applied' };
          const probe = ctx.probes[0];
          const truth = ctx.cluster.devnet.canonical;
          const firstHidden = truth.blocks().find((b) => ctx.clock.fromWall(b.minedAtMs) > stalledAtMs!);
          const delivered = probe?.events.find((e) => e.type === 'notification' && Number.parseInt(String((e.result as { number?: string }).number), 16) === firstHidden?.number);
          if (!firstHidden || !delivered) return { passed: false, detail: 'first block after the stall not delivered' };
          const delay = Math.round(delivered.tMs - ctx.clock.fromWall(firstHidden.minedAtMs));
          return { passed: delay <= 2 * blockTimeMs + 500, measured: `block ${firstHidden.number} delivered ${delay} ms after it was mined`, expected: `<= ${2 * blockTimeMs + 500} ms` };
        }),
        check('the subscription moved to another provider', (ctx) => {
          const h = holders(ctx);
          return { passed: h.length >= 2, measured: h.join(' -> '), expected: '>= 2 providers' };
        }),
      ],
    });
    expectAllChecksPass(run);
  });

  it('14) reorg during a logs subscription: removed: true delivered, then the new logs', async () => {
    const run = await scenario({
      name: '14-reorg-logs',
      title: 'Reorg during a logs subscription',
      description:
        'A logs subscriber (the emitter contract, two logs per block) and a newHeads subscriber; the chain reorganises 2 ' +
        'blocks deep. The logs subscriber gets every orphaned log again with removed: true before any log of the new branch, ' +
        'then the new logs; the newHeads subscriber gets the new branch from the fork point.',
      seed: 14,
      providers: 3,
      blockTimeMs: 500,
      subscriptions: [{ kind: 'logs' }, { kind: 'newHeads' }],
      workload: { rate: 10, durationMs: 5000 },
      chaos: [{ at: 2500, action: 'reorg', depth: 2 }],
      resultsDir,
      checks: [
        noChaosErrors,
        subscriptionsClean(),
        check('orphaned logs re-delivered with removed: true', (ctx) => {
          const logs = ctx.result.subscriptions.find((s) => s.kind === 'logs')?.report;
          const removed = logs && 'removedDelivered' in logs ? logs.removedDelivered : 0;
          const orphaned = ctx.cluster.devnet.canonical.orphanedLogs().length;
          return { passed: removed > 0 && removed === orphaned, measured: `${removed} removed of ${orphaned} orphaned`, expected: 'all orphaned logs' };
        }),
        check('newHeads delivered the new branch from the fork point', (ctx) => {
          const heads = ctx.result.subscriptions.find((s) => s.kind === 'newHeads')?.report;
          const n = heads && 'reorgsDelivered' in heads ? heads.reorgsDelivered : 0;
          const reorgs = sumSamples(ctx.metrics.delta, 'lasso_subscription_reorgs_total');
          return { passed: n >= 1, measured: `${n} rewind(s); lasso_subscription_reorgs_total ${reorgs}`, expected: '>= 1' };
        }),
      ],
    });
    expectAllChecksPass(run);
  });
});
