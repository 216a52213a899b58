import { describe, expect, it } from 'vitest';
import { check, formatCounts, latencySummary, pct, scenario, sentBetween, servedBy, successRatioAtLeast, sumSamples } from '../../../src/chaos/index.js';
import type { CheckContext, ProviderSample, ScenarioRun } from '../../../src/chaos/index.js';

/**
 * Resilience scenarios 5, 11 and 13: providers go away and come back, and circuit breakers follow.
 * Breaker recovery is shortened (the default first wait is 10 s) so that recovery fits in seconds.
 */
const resultsDir = process.env.LASSO_SCENARIO_RESULTS_DIR;
const FAST_RECOVERY = { breaker: { recoveryMs: 1000, maxRecoveryMs: 2000 } };

function expectAllChecksPass(run: ScenarioRun): void {
  expect(run.failedChecks(), JSON.stringify(run.result.checks, null, 2)).toEqual([]);
}

/** Breaker transitions of one provider over the run, from Lasso's Prometheus counter (exact, unlike polling). */
function transitions(ctx: CheckContext, provider: string, from: string | undefined, to: string): number {
  return sumSamples(ctx.metrics.delta, 'lasso_breaker_transitions_total', { provider, transport: 'http', to, ...(from && { from }) });
}

describe('breaker scenarios 5, 11, 13', () => {
  it('5) flapping provider: the breaker opens and recovers through half-open probes, no request lost', async () => {
    const run = await scenario({
      name: '05-flapping-provider',
      title: 'Flapping provider (down 1.5 s / up 1.5 s)',
      description:
        'One of three providers goes down and up every 1.5 s (connections refused, sockets dropped) for 6 s, under 40 req/s. ' +
        'No request is lost; its breaker opens in each down phase and closes again in each up phase through half-open ' +
        'probes (never straight from open), and the provider takes traffic again after each recovery. Breaker recovery ' +
        'starts at 500 ms (capped at 1 s) instead of the 10 s default so that recovery fits in an up phase, and requests ' +
        'are spread evenly (load-balanced) so that the flapping provider gets its third of them in every phase, whatever ' +
        'latency a busy machine measures for it.',
      seed: 5,
      providers: 3,
      lasso: { chain: { defaultStrategy: 'load-balanced', breaker: { recoveryMs: 500, maxRecoveryMs: 1000 } } },
      workload: { rate: 40, durationMs: 8000 },
      chaos: [{ at: 1000, action: 'flap', target: 'node-0', downMs: 1500, upMs: 1500, durationMs: 6000 }],
      resultsDir,
      checks: [
        successRatioAtLeast(1, undefined, 'no request lost: success ratio'),
        check('the breaker opens in each of the 2 down phases', (ctx) => {
          const opened = transitions(ctx, 'node-0', 'closed', 'open');
          return { passed: opened >= 2, measured: opened, expected: '>= 2' };
        }),
        check('it recovers through half-open probes (half_open -> closed), never open -> closed', (ctx) => {
          const recovered = transitions(ctx, 'node-0', 'half_open', 'closed');
          const skipped = transitions(ctx, 'node-0', 'open', 'closed');
          const probesFailed = transitions(ctx, 'node-0', 'half_open', 'open');
          return {
            passed: recovered >= 2 && skipped === 0,
            measured: `${recovered} recoveries, ${probesFailed} failed probe(s), ${skipped} open -> closed`,
            expected: '>= 2 recoveries, 0 open -> closed',
          };
        }),
        check('node-0 serves traffic again in each up phase', (ctx) => {
          const ups = ctx.chaos.events.filter((e) => e.phase === 'up');
          const downs = ctx.chaos.events.filter((e) => e.phase === 'down').map((e) => e.atMs);
          const served = ups.map((u) => {
            const nextDown = downs.find((d) => d > u.atMs) ?? Infinity;
            return servedBy(sentBetween(ctx.records, u.atMs, nextDown))['node-0'] ?? 0;
          });
          return { passed: served.length === 2 && served.every((n) => n > 0), measured: served.join(', '), expected: '> 0 in each' };
        }),
      ],
    });
    expectAllChecksPass(run);
  });

  it('11) partition of 2 of 3 providers for 10 s: the third carries all load, both return afterwards', async () => {
    const partitionAt = 1000;
    const run = await scenario({
      name: '11-partition-two-of-three',
      title: 'Network partition of 2 of 3 providers for 10 s',
      description:
        'Two of three providers become unreachable (connections refused, open sockets dropped) for 10 s under 30 req/s. ' +
        'The third serves every request meanwhile with no failure. After the partition heals both are probed, their breakers ' +
        'close (recovery 1 s, capped at 2 s, instead of the 10 s default), and they take user traffic again: the failures of ' +
        'the outage no longer count against them, and the default strategy chooses among all three again (which one serves depends on the latencies of the moment).',
      seed: 11,
      providers: 3,
      lasso: { chain: FAST_RECOVERY },
      workload: { rate: 30, durationMs: 14_500 },
      chaos: [{ at: partitionAt, action: 'partition', target: ['node-0', 'node-1'], durationMs: 10_000 }],
      resultsDir,
      checks: [
        successRatioAtLeast(1),
        check('node-2 serves every request sent during the partition', (ctx) => {
          const { startMs, endMs } = ctx.chaos.window(0);
          // eth_blockNumber is answered from Lasso's chain view, not by a provider.
          const during = sentBetween(ctx.records, startMs ?? partitionAt, (endMs ?? Infinity) - 50).filter((r) => r.method !== 'eth_blockNumber');
          const served = servedBy(during);
          return { passed: during.length > 200 && served['node-2'] === during.length, measured: `${formatCounts(served)} of ${during.length}`, expected: 'node-2 only' };
        }),
        check('both partitioned providers return: breakers close and they serve again or are back in sync', (ctx) => {
          const { endMs } = ctx.chaos.window(0);
          const healed = endMs ?? Infinity;
          // The default strategy serves from the best provider, so a returned one may get no user
          // request for a while; back in sync (its head polls answer, breaker closed) is back in service.
          const inSync = (s: ProviderSample, id: string): boolean => {
            const p = s.providers[id];
            const top = Math.max(...Object.values(s.providers).map((q) => q.head ?? 0));
            return p !== undefined && p.breakers.http === 'closed' && !p.lagging && p.head !== null && p.head >= top - 1;
          };
          const back = ['node-0', 'node-1'].map((id) => {
            const served = ctx.records.find((r) => r.sentMs >= healed && r.provider === id)?.sentMs;
            const synced = ctx.monitor.samples.find((s) => s.tMs >= healed && inSync(s, id))?.tMs;
            return served === undefined ? synced : synced === undefined ? served : Math.min(served, synced);
          });
          // A breaker that opened must have closed again (the default strategy may stop sending to a provider before it opens).
          const closed = ['node-0', 'node-1'].map((id) => transitions(ctx, id, 'half_open', 'closed') >= Math.min(1, transitions(ctx, id, 'closed', 'open')));
          const final = ctx.monitor.latest()?.providers;
          const finalClosed = ['node-0', 'node-1'].every((id) => final?.[id]?.breakers.http === 'closed');
          const returnMs = back.map((t) => (t === undefined ? undefined : Math.round(t - healed)));
          return {
            passed: returnMs.every((t) => t !== undefined && t <= 3500) && closed.every(Boolean) && finalClosed,
            measured: `back ${returnMs.join(' / ')} ms after the heal; breakers closed: ${finalClosed}`,
            expected: '<= 3500 ms (recovery wait <= 2.4 s), closed at the end',
          };
        }),
        check('after their breakers closed, the returned providers are chosen for user traffic again', (ctx) => {
          // Not the half-open probes: requests sent once both breakers are closed again (from the heal, for a breaker that never opened).
          const healed = ctx.chaos.window(0).endMs ?? Infinity;
          const closedAt = ['node-0', 'node-1'].map((id) => ctx.monitor.breakerTransitions(id, 'http').findLast((c) => c.to === 'closed')?.tMs ?? healed);
          const after = sentBetween(ctx.records, Math.max(...closedAt));
          const served = servedBy(after);
          // The default strategy shares traffic only among providers that score alike: the returned ones
          // are back in that choice, though which of them serves depends on the latencies of the moment.
          const ok = (served['node-0'] ?? 0) + (served['node-1'] ?? 0) > 0;
          return { passed: after.length > 0 && ok, measured: `${formatCounts(served)} of ${after.length}`, expected: 'node-0 or node-1 > 0' };
        }),
      ],
    });
    expectAllChecksPass(run);
  });

  it('13) all providers down: a fast, clear error (not a hang), and service resumes when one returns', async () => {
    const downAt = 1000;
    const run = await scenario({
      name: '13-all-providers-down',
      title: 'All providers down, then one returns',
      description:
        'All three providers become unreachable at once under 40 req/s; after 2 s one of them returns. While none is ' +
        'reachable every client gets a JSON-RPC error at once (no hang), and service resumes by itself once the returning ' +
        "provider's breaker lets a probe through (recovery 1 s, capped at 2 s).",
      seed: 13,
      providers: 3,
      lasso: { chain: FAST_RECOVERY },
      workload: { rate: 40, durationMs: 7000 },
      chaos: [
        { at: downAt, action: 'partition', target: 'node-0', durationMs: 2000 },
        { at: downAt, action: 'partition', target: ['node-1', 'node-2'] },
      ],
      resultsDir,
      checks: [
        // Requests still in flight when the outage starts may meet it: look at those sent 50 ms before.
        successRatioAtLeast(1, (ctx) => sentBetween(ctx.records, 0, (ctx.chaos.window(0).startMs ?? downAt) - 50), 'before the outage: success ratio'),
        check('while all are down, every request gets an error', (ctx) => {
          const { startMs, endMs } = ctx.chaos.window(0);
          // eth_blockNumber is answered from the chain view's last head, not by a provider. A request
          // sent just before the heal may reach a provider once it is back (tried as a last resort).
          const during = sentBetween(ctx.records, (startMs ?? downAt) + 20, (endMs ?? Infinity) - 20).filter((r) => r.method !== 'eth_blockNumber');
          const failed = during.filter((r) => r.outcome === 'failed');
          return { passed: during.length > 50 && failed.length === during.length, measured: `${failed.length}/${during.length}`, expected: 'all' };
        }),
        check('the error is clear: a JSON-RPC error with a Lasso code and a message', (ctx) => {
          const failed = ctx.records.filter((r) => r.outcome === 'failed');
          const codes: Record<string, number> = {};
          for (const r of failed) codes[String(r.errorCode ?? r.failure)] = (codes[String(r.errorCode ?? r.failure)] ?? 0) + 1;
          const clear = failed.every((r) => r.errorCode !== undefined && [-32000, -32001, -32002].includes(r.errorCode) && (r.errorMessage ?? '').length > 10);
          return { passed: failed.length > 0 && clear, measured: formatCounts(codes), expected: '-32000 / -32001 / -32002 with a message' };
        }),
        check('the error is fast (no hang)', (ctx) => {
          const s = latencySummary(ctx.records.filter((r) => r.outcome === 'failed'));
          return { passed: s.max < 250, measured: `p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms`, expected: 'max < 250 ms' };
        }),
        check('service resumes when one provider returns', (ctx) => {
          const healed = ctx.chaos.window(0).endMs ?? Infinity;
          // The first answer a provider gave (eth_blockNumber comes from the chain view, even before).
          const first = ctx.records.find((r) => r.sentMs >= healed && r.outcome === 'success' && r.method !== 'eth_blockNumber');
          if (!first) return { passed: false, detail: 'no success after the heal' };
          const later = sentBetween(ctx.records, first.sentMs + 500);
          const ratio = later.filter((r) => r.outcome === 'success').length / later.length;
          return {
            passed: first.sentMs - healed <= 2900 && later.length > 0 && ratio === 1,
            measured: `first success ${Math.round(first.sentMs - healed)} ms after the return; then ${pct(ratio)} of ${later.length}`,
            expected: '<= 2900 ms (recovery wait <= 2.4 s), then 100%',
          };
        }),
      ],
    });
    expectAllChecksPass(run);
  });
});
