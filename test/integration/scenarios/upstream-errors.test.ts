import { describe, expect, it } from 'vitest';
import { check, formatCounts, scenario, sentBetween, successRatioAtLeast, sumSamples } from '../../../src/chaos/index.js';
import type { ScenarioRun } from '../../../src/chaos/index.js';

/**
 * Resilience scenarios 6, 9 and 12: providers answer, but wrongly: rate limits, garbage and wrong
 * ids, and failures of a transaction that may already have reached the node.
 */
const resultsDir = process.env.LASSO_SCENARIO_RESULTS_DIR;

function expectAllChecksPass(run: ScenarioRun): void {
  expect(run.failedChecks(), JSON.stringify(run.result.checks, null, 2)).toEqual([]);
}

describe('upstream error scenarios 6, 9, 12', () => {
  it('6) all providers rate-limiting: a clear -32005 with retry-after data, no breaker opens, traffic resumes by itself', async () => {
    const limitAt = 1000;
    const limitMs = 2000;
    const run = await scenario({
      name: '06-all-rate-limited',
      title: 'All providers rate-limiting (HTTP 429, Retry-After: 1)',
      description:
        'Every provider answers HTTP 429 with Retry-After: 1 s for 2 s under 40 req/s. Clients get a JSON-RPC -32005 error ' +
        'that says when to retry (data.retryAfterMs) instead of a generic failure; rate limits never open a breaker (they ' +
        'cool the provider down instead); once the limits lift, traffic resumes within the Retry-After without anyone ' +
        'touching Lasso.',
      seed: 6,
      providers: 3,
      workload: { rate: 40, durationMs: 5000 },
      chaos: [{ at: limitAt, action: 'fault', target: 'all', fault: { type: 'http_status', status: 429, retryAfterSeconds: 1 }, durationMs: limitMs }],
      resultsDir,
      checks: [
        // Requests still in flight when the limits start may meet them: look at those sent 50 ms before.
        successRatioAtLeast(1, (ctx) => sentBetween(ctx.records, 0, (ctx.chaos.window(0).startMs ?? limitAt) - 50), 'before the limits: success ratio'),
        check('clients got -32005 with retry-after data while every provider was limiting', (ctx) => {
          const failed = ctx.records.filter((r) => r.outcome !== 'success');
          const retryAfter = failed.map((r) => (r.errorData as { retryAfterMs?: unknown } | undefined)?.retryAfterMs);
          const clear = failed.every((r, i) => r.errorCode === -32005 && typeof retryAfter[i] === 'number' && (retryAfter[i] as number) > 0 && (retryAfter[i] as number) <= 1000);
          const values = retryAfter.filter((v): v is number => typeof v === 'number');
          return {
            passed: failed.length > 20 && clear,
            measured: `${failed.length} errors, all -32005: ${clear}; retryAfterMs ${Math.min(...values)}..${Math.max(...values)}`,
            expected: 'only -32005 with 0 < data.retryAfterMs <= 1000',
          };
        }),
        check('no breaker opens', (ctx) => {
          const opened = sumSamples(ctx.metrics.delta, 'lasso_breaker_transitions_total', { to: 'open' });
          const seen = ctx.monitor.breakerTransitions().length;
          const cooled = ctx.monitor.changes.filter((c) => c.field === 'coolingDown' && c.to === 'true').length;
          return { passed: opened === 0 && seen === 0, measured: `${opened} transitions to open; ${cooled} cooldowns seen`, expected: '0' };
        }),
        check('traffic resumes by itself within the Retry-After', (ctx) => {
          const lifted = ctx.chaos.window(0).endMs ?? Infinity;
          const first = ctx.records.find((r) => r.sentMs >= lifted && r.outcome === 'success');
          const later = sentBetween(ctx.records, lifted + 1000 + 200);
          const ok = later.filter((r) => r.outcome === 'success').length;
          return {
            passed: later.length > 0 && ok === later.length,
            measured: `first success ${first ? Math.round(first.sentMs - lifted) : '-'} ms after the limits lifted; ${ok}/${later.length} from 1.2 s on`,
            expected: 'all requests sent >= 1.2 s after the lift succeed',
          };
        }),
      ],
    });
    expectAllChecksPass(run);
  });

  it('9) garbage, truncated and wrong-id responses never reach the client and count as provider failures', async () => {
    // eth_blockNumber and eth_getBlockByNumber are left alone: Lasso's head tracker polls heads and
    // reads safe/finalized blocks with them, which must not muddy the count.
    const methods = ['eth_getBalance', 'eth_call', 'eth_getLogs'];
    const run = await scenario({
      name: '09-garbage-and-wrong-id',
      title: 'Garbage, truncated and wrong-id responses',
      description:
        'The preferred provider (priority strategy) answers 15% of calls with an HTML error page, 10% with a truncated body ' +
        'and 15% with a response carrying another id. None of that reaches a client (every request gets a valid result with ' +
        "its own id) and each one is counted in Prometheus as exactly one provider_failure attempt of that provider.",
      seed: 9,
      providers: [
        {
          faults: [
            { type: 'garbage', probability: 0.15, methods },
            { type: 'truncated', probability: 0.1, methods },
            { type: 'wrong_id', probability: 0.15, methods },
          ],
        },
        {},
        {},
      ],
      workload: { rate: 40, durationMs: 4000, mix: { eth_getBalance: 40, eth_call: 20, eth_getBlockByNumber: 20, eth_getLogs: 20 }, strategy: 'priority' },
      resultsDir,
      checks: [
        successRatioAtLeast(1),
        check('no invalid body or wrong id reached a client', (ctx) => {
          const bad = ctx.records.filter((r) => r.failure === 'invalid_json' || r.failure === 'id_mismatch').length;
          return { passed: bad === 0, measured: bad, expected: '0' };
        }),
        check('each bad answer Lasso read is one provider_failure attempt in /metrics', (ctx) => {
          const p = ctx.cluster.provider('node-0').proxy.stats().faultsApplied;
          const injected = (p.garbage ?? 0) + (p.truncated ?? 0) + (p.wrong_id ?? 0);
          const counted = sumSamples(ctx.metrics.delta, 'lasso_upstream_attempts_total', { provider: 'node-0', result: 'provider_failure' });
          // An attempt that lost to a hedge is cancelled before its answer is read: it may hide one bad answer.
          const cancelled = sumSamples(ctx.metrics.delta, 'lasso_upstream_attempts_total', { provider: 'node-0', result: 'cancelled' });
          return {
            passed: injected > 10 && counted <= injected && injected <= counted + cancelled,
            measured:
              `${counted} provider_failure + ${cancelled} cancelled by a hedge, ${injected} injected ` +
              `(${formatCounts({ garbage: p.garbage ?? 0, truncated: p.truncated ?? 0, wrong_id: p.wrong_id ?? 0 })})`,
            expected: 'provider_failure <= injected <= provider_failure + cancelled',
          };
        }),
      ],
    });
    expectAllChecksPass(run);
  });

  it('12) eth_sendRawTransaction during failures: never sent twice when the first attempt may have arrived', async () => {
    const method = 'eth_sendRawTransaction';
    const run = await scenario({
      name: '12-send-raw-transaction-no-double-send',
      title: 'eth_sendRawTransaction during provider failures',
      description:
        'Transactions go first to a provider (priority strategy) that, for eth_sendRawTransaction, answers 3 s late (after ' +
        'forwarding: the node has the transaction; the per-method timeout is 1 s), resets the connection after reading the ' +
        "request, or answers 503 — in each case the transaction may have arrived, so Lasso must not send it elsewhere. Then " +
        'that provider is unreachable for 1.5 s (connection refused: provably never sent), where a retry on another provider ' +
        'is right. Every transaction reaches a provider exactly once, counted at the fault proxies. Breaker thresholds are ' +
        'raised so the faulty provider stays first in line.',
      seed: 12,
      providers: [
        {
          faults: [
            { type: 'latency', ms: 3000, probability: 0.25, methods: [method] },
            { type: 'reset', probability: 0.25, methods: [method] },
            { type: 'http_status', status: 503, probability: 0.25, methods: [method] },
          ],
        },
        {},
        {},
      ],
      lasso: {
        chain: {
          methodTimeoutsMs: { [method]: 1000 },
          breaker: { timeoutThreshold: 1000, networkThreshold: 1000, otherThreshold: 1000 },
        },
      },
      countMethods: [method],
      workload: { rate: 20, durationMs: 5000, mix: { eth_sendRawTransaction: 60, eth_blockNumber: 40 }, strategy: 'priority' },
      chaos: [{ at: 2500, action: 'partition', target: 'node-0', durationMs: 1500 }],
      resultsDir,
      checks: [
        check('every transaction reached a provider exactly once', (ctx) => {
          const sent = ctx.records.filter((r) => r.method === method).length;
          const arrivals = ctx.cluster.providers.map((p) => p.faults.arrivals()[method] ?? 0);
          const total = arrivals.reduce((a, b) => a + b, 0);
          return { passed: sent > 50 && total === sent, measured: `${total} arrivals (${arrivals.join(' / ')}) for ${sent} transactions`, expected: `${sent}` };
        }),
        check('no retry after a failure that may have reached the node', (ctx) => {
          const { startMs, endMs } = ctx.chaos.window(0);
          const outside = ctx.records.filter((r) => r.method === method && (r.sentMs < (startMs ?? 0) - 20 || r.sentMs > (endMs ?? Infinity) + 20));
          const retried = outside.filter((r) => (r.attempts ?? 1) > 1).length;
          const failed = outside.filter((r) => r.outcome !== 'success').length;
          return { passed: retried === 0 && failed > 5, measured: `${retried} retried; ${failed} of ${outside.length} failed back to the client`, expected: '0 retried' };
        }),
        check('connection refused (provably never sent) is retried on another provider', (ctx) => {
          const { startMs, endMs } = ctx.chaos.window(0);
          const during = ctx.records.filter((r) => r.method === method && r.sentMs > (startMs ?? 0) + 20 && r.sentMs < (endMs ?? 0) - 20);
          const ok = during.filter((r) => r.outcome === 'success' && r.provider !== 'node-0').length;
          return { passed: during.length > 10 && ok === during.length, measured: `${ok}/${during.length} succeeded elsewhere`, expected: 'all' };
        }),
        successRatioAtLeast(1, (ctx) => ctx.records.filter((r) => r.method === 'eth_blockNumber'), 'reads alongside: success ratio'),
      ],
    });
    expectAllChecksPass(run);
  });
});
