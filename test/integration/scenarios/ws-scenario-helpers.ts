import { expect } from 'vitest';
import { check, subscriptionProviders } from '../../../src/chaos/index.js';
import { isWsFrontAvailable } from '../../../src/chaos/scenario/index.js';
import type { ChaosEntry, CheckContext, ScenarioRun } from '../../../src/chaos/index.js';

/** Shared by the WebSocket scenario files (subscriptions.test.ts, long-subscription.test.ts). */
export const wsAvailable = await isWsFrontAvailable();
export const resultsDir = process.env.LASSO_SCENARIO_RESULTS_DIR;

export function expectAllChecksPass(run: ScenarioRun): void {
  expect(run.failedChecks(), JSON.stringify({ checks: run.result.checks, subscriptions: run.result.subscriptions }, null, 2)).toEqual([]);
}

/**
 * Two timeline entries: at `at`, cut the provider that holds the upstream subscriptions (partition
 * or kill its node); `forMs` later, bring it back.
 */
export function cutActive(at: number, forMs: number, mode: 'partition' | 'kill'): ChaosEntry[] {
  let victim: string | undefined;
  return [
    {
      at,
      action: 'custom',
      name: `${mode} the provider holding the subscriptions`,
      run: async ({ cluster }) => {
        const [active] = await subscriptionProviders(cluster.lasso.url, cluster.chain);
        if (!active) throw new Error('no provider holds an upstream subscription');
        victim = active;
        const p = cluster.provider(active);
        if (mode === 'partition') p.faults.partition();
        else await cluster.devnet.kill(p.nodeId);
        return active;
      },
    },
    {
      at: at + forMs,
      action: 'custom',
      name: `bring it back (${mode === 'partition' ? 'heal' : 'restart'})`,
      run: async ({ cluster }) => {
        if (!victim) return;
        const p = cluster.provider(victim);
        if (mode === 'partition') await p.faults.heal();
        else await cluster.devnet.restart(p.nodeId);
      },
    },
  ];
}

/** Providers that held the upstream subscriptions at some poll, in order of first appearance. */
export function holders(ctx: CheckContext): string[] {
  const seen: string[] = [];
  for (const s of ctx.monitor.samples) {
    for (const [id, p] of Object.entries(s.providers)) if ((p.wsSubscriptions ?? 0) > 0 && !seen.includes(id)) seen.push(id);
  }
  return seen;
}

export const noChaosErrors = check('every chaos step ran', (ctx) => {
  const errors = ctx.chaos.events.filter((e) => e.error !== undefined).map((e) => `${e.label}: ${e.error}`);
  return { passed: errors.length === 0, measured: errors.length === 0 ? `${ctx.chaos.events.length} steps` : errors.join('; '), expected: 'no error' };
});
