import { describe, expect, it } from 'vitest';
import { check, formatCounts, latencyBelow, latencySummary, pct, scenario, sentBetween, servedBy, successRatioAtLeast, sumSamples } from '../../../src/chaos/index.js';
import type { ScenarioRun } from '../../../src/chaos/index.js';
import { BREAKER_DEFAULTS } from '../../../src/resilience/circuit-breaker.js';

/**
 * Resilience scenarios 1, 3 and 8: a provider dies, is down, or hangs, and Lasso fails over.
 * Each scenario's numbers are checks inside the run (they go into its JSON result and the docs);
 * the test fails when any check fails.
 */
const resultsDir = process.env.LASSO_SCENARIO_RESULTS_DIR;

function expectAllChecksPass(run: ScenarioRun): void {
  const failed = run.failedChecks();
  expect(failed, JSON.stringify(run.result.checks, null, 2)).toEqual([]);
}

describe('failover scenarios 1, 3, 8', () => {
  it('1) primary killed mid-request under `fastest`: failover within 2x normal latency, breaker opens, metrics record it', async () => {
    const killAt = 1500;
    const run = await scenario({
      name: '01-primary-killed-fastest',
      title: 'Primary provider killed mid-request under `fastest`',
      description:
        'Three providers 100 / 110 / 120 ms away; clients use the `fastest` strategy, so the 100 ms one serves most requests. ' +
        'Its node is SIGKILLed while requests are in flight. Requests complete via failover within twice the normal latency, ' +
        "the dead provider's breaker opens, and Prometheus counts exactly the failovers the clients saw.",
      seed: 1,
      providers: [{ latencyMs: 100 }, { latencyMs: 110 }, { latencyMs: 120 }],
      workload: { rate: 50, durationMs: 3000, strategy: 'fastest' },
      chaos: [{ at: killAt, action: 'kill', target: 'node-0' }],
      resultsDir,
      checks: [
        successRatioAtLeast(1),
        check('the fastest provider (node-0) is the primary: it served most requests before the kill', (ctx) => {
          const before = sentBetween(ctx.records, 0, killAt);
          const share = (servedBy(before)['node-0'] ?? 0) / before.length;
          return { passed: share > 0.5, measured: pct(share), expected: '> 50%' };
        }),
        check('failed-over requests complete within 2x the normal latency', (ctx) => {
          // Steady state: the first half second also carries connection set-up and JIT warm-up.
          const normal = latencySummary(sentBetween(ctx.records, 500, killAt).filter((r) => r.attempts === 1)).p50;
          // Hedged requests raced a slow answer on purpose; failovers are the non-hedged ones with more than one attempt.
          const failedOver = ctx.records.filter((r) => (r.attempts ?? 0) >= 2 && !r.hedged);
          const worst = latencySummary(failedOver).max;
          const inFlight = ctx.records.filter((r) => r.sentMs < killAt && r.sentMs + r.latencyMs > killAt).length;
          return {
            passed: failedOver.length > 0 && worst <= 2 * normal,
            measured: `${failedOver.length} failed over, slowest ${worst} ms; normal p50 ${normal} ms; ${inFlight} in flight at the kill`,
            expected: `<= ${Math.round(2 * normal)} ms (2 x p50)`,
          };
        }),
        check("node-0's breaker opens", (ctx) => {
          const opened = sumSamples(ctx.metrics.delta, 'lasso_breaker_transitions_total', { provider: 'node-0', transport: 'http', to: 'open' });
          const seen = ctx.monitor.breakerTransitions('node-0', 'http').some((c) => c.to === 'open');
          return { passed: opened >= 1 && seen, measured: `${opened} transition(s) to open; seen by polling: ${seen}`, expected: '>= 1' };
        }),
        check('once the breaker is open, no request touches node-0', (ctx) => {
          const openedAt = ctx.monitor.breakerTransitions('node-0', 'http').find((c) => c.to === 'open')?.tMs ?? Infinity;
          const after = sentBetween(ctx.records, openedAt);
          const extra = after.filter((r) => ((r.attempts ?? 1) > 1 && !r.hedged) || r.provider === 'node-0').length;
          return { passed: after.length > 0 && extra === 0, measured: `${extra} of ${after.length} requests sent after ${openedAt} ms`, expected: '0' };
        }),
        check('lasso_failovers_total equals the failovers clients saw', (ctx) => {
          const metric = sumSamples(ctx.metrics.delta, 'lasso_failovers_total', { from_provider: 'node-0' });
          const extra = (rs: typeof ctx.records) => rs.reduce((n, r) => n + Math.max(0, (r.attempts ?? 1) - 1), 0);
          // Without hedges every extra attempt is a failover; a hedged request's extra attempts may or may not be.
          const exact = extra(ctx.records.filter((r) => !r.hedged));
          const upTo = extra(ctx.records);
          return {
            passed: exact > 0 && metric >= exact && metric <= upTo,
            measured: `metric ${metric}; clients: ${exact} (+ up to ${upTo - exact} in hedged requests)`,
            expected: exact === upTo ? `${exact}` : `${exact}..${upTo}`,
          };
        }),
      ],
    });
    expectAllChecksPass(run);
  });

  it('3) 1000 requests over 10 s with 1 of 3 providers down: >= 99.9% success, p95 < 300 ms, load on the 2 healthy ones', async () => {
    const run = await scenario({
      name: '03-one-of-three-down',
      title: '1000 requests over 10 s with one of three providers down',
      description:
        'One of three providers is down (its node killed) before the load starts: 100 req/s for 10 s, open model, the classic ' +
        'read mix. Lasso keeps >= 99.9% success and p95 under 300 ms, serves everything from the two healthy providers (the ' +
        'default strategy sends each request to the best of them; the other is its failover target and shares the traffic ' +
        "while the two score alike), and sends the dead one no more attempts than its breaker needs to open, then nothing but half-open probes.",
      seed: 3,
      providers: 3,
      workload: { rate: 100, durationMs: 10_000 },
      prepare: (cluster) => cluster.devnet.kill('node-2'),
      resultsDir,
      checks: [
        successRatioAtLeast(0.999),
        latencyBelow(95, 300),
        check('the healthy providers serve every request', (ctx) => {
          const served = servedBy(ctx.records);
          const healthy = (served['node-0'] ?? 0) + (served['node-1'] ?? 0);
          return { passed: (served['node-2'] ?? 0) === 0 && healthy > 0, measured: formatCounts(served), expected: 'node-2: 0, the rest from node-0 and node-1' };
        }),
        check('the down provider gets no more than a breaker needs to open, then only half-open probes', (ctx) => {
          // Only node-2 fails, so each attempt beyond the first went to node-2.
          const attemptsOnDown = (fromMs: number) =>
            sentBetween(ctx.records, fromMs)
              .filter((r) => !r.hedged)
              .reduce((n, r) => n + Math.max(0, (r.attempts ?? 1) - 1), 0);
          const openedAt = ctx.monitor.breakerTransitions('node-2', 'http').find((c) => c.to === 'open')?.tMs;
          if (openedAt === undefined) {
            // The default strategy scores failures: routing may stop sending to it before its breaker has a reason to open.
            const attempts = attemptsOnDown(0);
            return { passed: attempts < BREAKER_DEFAULTS.networkThreshold, measured: `${attempts} attempt(s), breaker never opened`, expected: `< ${BREAKER_DEFAULTS.networkThreshold} attempts, or only half-open probes once it opened` };
          }
          const attemptsAfter = attemptsOnDown(openedAt);
          const probes = sumSamples(ctx.metrics.delta, 'lasso_breaker_transitions_total', { provider: 'node-2', transport: 'http', from: 'open', to: 'half_open' });
          const total = sumSamples(ctx.metrics.delta, 'lasso_upstream_attempts_total', { provider: 'node-2' });
          return {
            passed: attemptsAfter <= probes,
            measured: `${attemptsAfter} attempt(s) after ${openedAt} ms, ${probes} half-open probe(s); ${total} attempts in all`,
            expected: '<= half-open probes',
          };
        }),
      ],
    });
    expectAllChecksPass(run);
    expect(run.result.totals.requests).toBe(1000);
  });

  it('8) hanging provider: requests fail over at the per-method timeout, not the global one', async () => {
    const run = await scenario({
      name: '08-hanging-provider',
      title: 'Hanging provider (accepts connections, never answers)',
      description:
        'The preferred provider (priority strategy) is SIGSTOPped: its port accepts connections and never answers. Requests ' +
        'caught on it fail over when their per-method timeout expires (net_version 1 s, eth_getBalance 2 s), not at the 30 s ' +
        'request deadline, and every one succeeds on another provider. Hedging and adaptive timeouts are switched off here so ' +
        'that the per-method timeout alone is measured (with them on, most requests are rescued sooner).',
      seed: 8,
      providers: 3,
      lasso: { chain: { hedging: { enabled: false }, adaptiveTimeouts: { enabled: false } } },
      workload: { rate: 20, durationMs: 4000, mix: { net_version: 50, eth_getBalance: 50 }, strategy: 'priority' },
      chaos: [{ at: 500, action: 'freeze', target: 'node-0' }],
      resultsDir,
      checks: [
        successRatioAtLeast(1),
        ...(
          [
            ['net_version', 1000],
            ['eth_getBalance', 2000],
          ] as const
        ).map(([method, timeoutMs]) =>
          check(`${method} fails over at its ${timeoutMs} ms timeout`, (ctx) => {
            const mine = ctx.records.filter((r) => r.method === method);
            const failedOver = mine.filter((r) => (r.attempts ?? 1) >= 2);
            const lowest = Math.min(...failedOver.map((r) => r.latencyMs));
            // Requests that joined an identical in-flight one (attempts 0) wait for it, so never longer than it.
            const slowest = latencySummary(mine).max;
            return {
              passed: failedOver.length > 0 && lowest >= timeoutMs - 5 && slowest < timeoutMs + 500,
              measured: `${failedOver.length} failed over after ${lowest}..${latencySummary(failedOver).max} ms; slowest ${method} ${slowest} ms`,
              expected: `failovers at >= ${timeoutMs} ms, all < ${timeoutMs + 500} ms`,
            };
          }),
        ),
        latencyBelow(100, 2500, (ctx) => ctx.records, 'no request waits for the 30 s request deadline (max < 2500 ms)'),
        check("the hanging provider's breaker opens (2 timeouts)", (ctx) => {
          const opened = sumSamples(ctx.metrics.delta, 'lasso_breaker_transitions_total', { provider: 'node-0', transport: 'http', to: 'open' });
          return { passed: opened >= 1, measured: opened, expected: '>= 1' };
        }),
      ],
    });
    expectAllChecksPass(run);
  });
});
