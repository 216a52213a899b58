import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { getJson, getText, metricValue, rpc } from '../helpers/rpc.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Faults anvil cannot produce, made by Lasso's fault proxy in front of node-0. The chain uses the
 * `priority` strategy so node-0 is always tried first and each fault is met on the first attempt.
 */
describe('upstream faults behind the fault proxy', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // A high threshold keeps node-0's breaker closed across tests: each test meets one fault.
    // Hedging and adaptive timeouts are off here: these tests meet each fault on a plain attempt
    // (test/integration/tail-latency.test.ts covers them).
    cluster = await startCluster({
      faultProxies: true,
      chain: {
        defaultStrategy: 'priority',
        breaker: { otherThreshold: 100, timeoutThreshold: 100 },
        hedging: { enabled: false },
        adaptiveTimeouts: { enabled: false },
      },
    });
    await cluster.devnet.mineBlock();
  });
  afterEach(() => {
    for (const p of cluster.proxies.values()) p.clearFaults();
  });
  afterAll(async () => cluster?.close());

  const node0 = () => cluster.proxies.get('node-0')!;
  const metrics = async () => getText(`${cluster.lasso.url}/metrics`);
  const providerState = async (id: string) =>
    (await getJson(`${cluster.lasso.url}/api/providers`)).chains[0].providers.find((p: { id: string }) => p.id === id);

  it('e) a 429 provider is cooled down for its Retry-After, not counted as a failure, then used again', async () => {
    node0().setFaults([{ type: 'http_status', status: 429, retryAfterSeconds: 1 }]);
    const first = await rpc(cluster.rpcUrl, 'net_version');
    expect(first.body.result).toMatch(/^\d+$/); // net_version: the chain id in decimal
    expect(first.headers['x-lasso-provider']).toBe('node-1');
    expect(first.headers['x-lasso-attempts']).toBe('2');

    const state = await providerState('node-0');
    expect(state.coolingDown).toBe(true);
    expect(state.cooldownRemainingMs).toBeGreaterThan(500);
    expect(state.cooldownRemainingMs).toBeLessThanOrEqual(1000);
    expect(state.channels[0].breaker).toBe('closed');

    const attemptsBefore = metricValue(await metrics(), 'lasso_upstream_attempts_total', { provider: 'node-0' });
    for (let i = 0; i < 10; i++) expect((await rpc(cluster.rpcUrl, 'net_version')).headers['x-lasso-provider']).toBe('node-1');
    const text = await metrics();
    expect(metricValue(text, 'lasso_upstream_attempts_total', { provider: 'node-0' })).toBe(attemptsBefore);
    expect(metricValue(text, 'lasso_upstream_attempts_total', { provider: 'node-0', result: 'rate_limit' })).toBe(1);
    expect(metricValue(text, 'lasso_rate_limit_cooldowns_total', { provider: 'node-0' })).toBe(1);
    expect(metricValue(text, 'lasso_breaker_transitions_total')).toBe(0);

    node0().clearFaults();
    await waitFor(async () => !(await providerState('node-0')).coolingDown, { timeoutMs: 3000, what: 'cooldown to end' });
    expect((await rpc(cluster.rpcUrl, 'net_version')).headers['x-lasso-provider']).toBe('node-0');
  });

  it.each([
    ['-32603 internal error', { type: 'rpc_error', code: -32603, message: 'internal error' }],
    ['a garbage body', { type: 'garbage' }],
    ['a truncated body', { type: 'truncated' }],
    ['a response with the wrong id', { type: 'wrong_id' }],
    ['HTTP 503', { type: 'http_status', status: 503 }],
  ] as const)('%s never reaches the client and counts as a provider failure', async (_name, fault) => {
    const failuresBefore = metricValue(await metrics(), 'lasso_upstream_attempts_total', { provider: 'node-0', result: 'provider_failure' });
    node0().setFaults([fault as never]);
    const res = await rpc(cluster.rpcUrl, 'net_version');
    expect(res.body.result).toMatch(/^\d+$/); // net_version: the chain id in decimal
    expect(res.headers['x-lasso-provider']).toBe('node-1');
    expect(res.headers['x-lasso-attempts']).toBe('2');
    const failuresAfter = metricValue(await metrics(), 'lasso_upstream_attempts_total', { provider: 'node-0', result: 'provider_failure' });
    expect(failuresAfter).toBe(failuresBefore + 1);
  });

  it('a hanging provider is abandoned at the per-method timeout, not the request deadline', async () => {
    node0().setFaults([{ type: 'hang' }]);
    const started = performance.now();
    const res = await rpc(cluster.rpcUrl, 'net_version'); // per-method timeout 1000 ms
    const elapsed = performance.now() - started;
    expect(res.body.result).toMatch(/^\d+$/); // net_version: the chain id in decimal
    expect(res.headers['x-lasso-provider']).toBe('node-1');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2500);
  });

  it('when every provider rate-limits, the client gets -32005 with retry-after data and no breaker opens', async () => {
    for (const p of cluster.proxies.values()) p.setFaults([{ type: 'http_status', status: 429, retryAfterSeconds: 2 }]);
    const res = await rpc(cluster.rpcUrl, 'net_version');
    expect(res.body.error.code).toBe(-32005);
    expect(res.body.error.data.retryAfterMs).toBeGreaterThan(0);
    expect(res.body.error.data.retryAfterMs).toBeLessThanOrEqual(2000);
    const again = await rpc(cluster.rpcUrl, 'net_version');
    expect(again.body.error.code).toBe(-32005);
    expect(again.headers['x-lasso-attempts']).toBe('0');
    expect(metricValue(await metrics(), 'lasso_breaker_transitions_total', { to: 'open' })).toBe(0);
    for (const p of cluster.proxies.values()) p.clearFaults();
    await waitFor(async () => (await rpc(cluster.rpcUrl, 'net_version')).body.result, { timeoutMs: 4000, intervalMs: 100, what: 'traffic to resume' });
  });
});
