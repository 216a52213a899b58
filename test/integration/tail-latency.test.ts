import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { getJson, getText, metricValue, rpc } from '../helpers/rpc.js';

/** Distinct params per call, so coalescing does not merge the requests under test. */
const addr = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

async function timed(url: string, method: string, params: unknown[]) {
  const started = performance.now();
  const res = await rpc(url, method, params);
  return { res, ms: performance.now() - started };
}

describe('tail latency: hedging, adaptive timeouts, coalescing', () => {
  let cluster: Cluster;
  let counter = 0;
  beforeAll(async () => {
    cluster = await startCluster({ faultProxies: true, chain: { defaultStrategy: 'priority' } });
    await cluster.devnet.mineBlock();
  });
  afterEach(async () => {
    for (const p of cluster.proxies.values()) p.clearFaults();
  });
  afterAll(async () => cluster?.close());

  const metrics = () => getText(`${cluster.lasso.url}/metrics`);
  const warmUp = async (n: number) => {
    for (let i = 0; i < n; i++) await rpc(cluster.rpcUrl, 'eth_getBalance', [addr(counter++), 'latest']);
  };

  it('a hung provider makes no request wait much longer than the hedge delay, and its breaker opens fast', async () => {
    await warmUp(40); // node-0 (priority 1) gets measured: hedge delay and adaptive timeout learn its latency
    cluster.proxies.get('node-0')!.setFaults([{ type: 'hang' }]);
    const runs = [];
    for (let i = 0; i < 30; i++) runs.push(await timed(cluster.rpcUrl, 'eth_getBalance', [addr(counter++), 'latest']));
    expect(runs.every((r) => r.res.body.result !== undefined)).toBe(true);
    // Fixed per-method timeout is 2000 ms; hedge delay floor is 20 ms. The typical request is
    // answered within a few hedge delays; none waits for the fixed timeout, even when a busy
    // machine stalls this process for a moment.
    const ms = runs.map((r) => r.ms);
    expect(percentile(ms, 0.5)).toBeLessThan(100);
    expect(Math.max(...ms)).toBeLessThan(1000);
    expect(runs.filter((r) => r.res.headers['x-lasso-hedged'] === '1').length).toBeGreaterThan(0);
    const state = (await getJson(`${cluster.lasso.url}/api/providers`)).chains[0].providers[0];
    expect(state.channels[0].breaker).toBe('open');
    const text = await metrics();
    expect(metricValue(text, 'lasso_hedges_won_total')).toBeGreaterThan(0);
    // Adaptive timeouts give up on node-0 in tens of ms: its breaker opens after two of them. Requests
    // started before the second one was recorded also tried it first: a handful (of the 30), never most.
    expect(metricValue(text, 'lasso_upstream_attempts_total', { provider: 'node-0', result: 'provider_failure' })).toBeLessThanOrEqual(10);
  });

  it('a provider with no alternative is waited for: a 150 ms pause costs no error and no open breaker', async () => {
    // Pinned requests have no other candidate: the learned first-byte timeout (about 50 ms here)
    // must not turn the pause into errors or open the breaker of the only provider they can use.
    const pinned = `${cluster.lasso.url}/rpc/provider/node-2/devnet`;
    for (let i = 0; i < 40; i++) await rpc(pinned, 'eth_getBalance', [addr(counter++), 'latest']);
    const before = metricValue(await metrics(), 'lasso_upstream_attempts_total', { provider: 'node-2', result: 'provider_failure' });
    cluster.proxies.get('node-2')!.setFaults([{ type: 'latency', ms: 150 }]);
    const runs = await Promise.all(Array.from({ length: 10 }, () => timed(pinned, 'eth_getBalance', [addr(counter++), 'latest'])));
    expect(runs.map((r) => r.res.body.error)).toEqual(runs.map(() => undefined));
    expect(Math.min(...runs.map((r) => r.ms))).toBeGreaterThanOrEqual(140);
    expect(metricValue(await metrics(), 'lasso_upstream_attempts_total', { provider: 'node-2', result: 'provider_failure' })).toBe(before);
    const node2 = (await getJson(`${cluster.lasso.url}/api/providers`)).chains[0].providers.find((p: { id: string }) => p.id === 'node-2');
    expect(node2.channels[0].breaker).toBe('closed');
  });

  it('hedging never sends a raw transaction twice', async () => {
    cluster.proxies.get('node-1')!.setFaults([{ type: 'latency', ms: 300 }]);
    cluster.proxies.get('node-0')!.setFaults([{ type: 'latency', ms: 300 }]);
    const { privateKeyToAccount } = await import('viem/accounts');
    const sender = privateKeyToAccount(cluster.devnet.testAccount(3).privateKey);
    const raw = await sender.signTransaction({
      chainId: cluster.devnet.chainId,
      to: addr(1) as `0x${string}`,
      value: 1n,
      nonce: 0,
      gas: 21_000n,
      gasPrice: 10_000_000_000n,
      type: 'legacy',
    });
    const before = metricValue(await metrics(), 'lasso_upstream_attempts_total', { method: 'eth_sendRawTransaction' });
    const { res, ms } = await timed(cluster.rpcUrl, 'eth_sendRawTransaction', [raw]);
    expect(res.body.result).toMatch(/^0x[0-9a-f]{64}$/);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(res.headers['x-lasso-attempts']).toBe('1');
    expect(res.headers['x-lasso-hedged']).toBeUndefined();
    const text = await metrics();
    expect(metricValue(text, 'lasso_upstream_attempts_total', { method: 'eth_sendRawTransaction' })).toBe(before + 1);
    expect(metricValue(text, 'lasso_hedges_total', { method: 'eth_sendRawTransaction' })).toBe(0);
  });

  it('coalesces identical in-flight reads into one upstream attempt', async () => {
    cluster.proxies.get('node-1')!.setFaults([{ type: 'latency', ms: 50 }]);
    const before = await metrics();
    const attemptsBefore = metricValue(before, 'lasso_upstream_attempts_total', { method: 'eth_getCode' });
    const coalescedBefore = metricValue(before, 'lasso_coalesced_requests_total', { method: 'eth_getCode' });
    const results = await Promise.all(Array.from({ length: 50 }, () => rpc(cluster.rpcUrl, 'eth_getCode', [cluster.devnet.contracts.emitter, 'latest'])));
    expect(new Set(results.map((r) => r.body.result)).size).toBe(1);
    const text = await metrics();
    expect(metricValue(text, 'lasso_upstream_attempts_total', { method: 'eth_getCode' }) - attemptsBefore).toBeLessThanOrEqual(4);
    expect(metricValue(text, 'lasso_coalesced_requests_total', { method: 'eth_getCode' }) - coalescedBefore).toBeGreaterThanOrEqual(45);
  });
});

describe('tail latency: slow provider and the hedge cap', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({
      faultProxies: true,
      chain: { hedging: { maxExtraLoad: 0.1, burst: 5 }, adaptiveTimeouts: { enabled: false } },
    });
    await cluster.devnet.mineBlock();
  });
  afterAll(async () => cluster?.close());

  it('a provider 200 ms slower stops being the one clients wait for', async () => {
    cluster.proxies.get('node-0')!.setFaults([{ type: 'latency', ms: 200 }]);
    for (let i = 0; i < 60; i++) await rpc(cluster.rpcUrl, 'eth_getBalance', [addr(1000 + i), 'latest']); // learn
    const runs = [];
    for (let i = 0; i < 100; i++) runs.push(await timed(cluster.rpcUrl, 'eth_getBalance', [addr(2000 + i), 'latest']));
    expect(runs.every((r) => r.res.body.result !== undefined)).toBe(true);
    expect(percentile(runs.map((r) => r.ms), 0.95)).toBeLessThan(100);
    expect(runs.filter((r) => r.res.headers['x-lasso-provider'] === 'node-0').length).toBeLessThanOrEqual(5);
  });

  it('hedges stay under the extra-load cap however many requests are slow', async () => {
    // Every provider slow: every request would like a hedge.
    for (const p of cluster.proxies.values()) p.setFaults([{ type: 'latency', ms: 80 }]);
    const before = await getText(`${cluster.lasso.url}/metrics`);
    const n = 100;
    await Promise.all(Array.from({ length: n }, (_, i) => rpc(cluster.rpcUrl, 'eth_getBalance', [addr(5000 + i), 'latest'])));
    const after = await getText(`${cluster.lasso.url}/metrics`);
    const hedges = metricValue(after, 'lasso_hedges_total') - metricValue(before, 'lasso_hedges_total');
    expect(hedges).toBeGreaterThan(0);
    expect(hedges).toBeLessThanOrEqual(Math.ceil(n * 0.1) + 5);
    for (const p of cluster.proxies.values()) p.clearFaults();
  });
});
