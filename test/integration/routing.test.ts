/**
 * The default strategy (no strategy named in config or URL) on a real devnet behind fault proxies
 * that add each provider's distance: user traffic goes to the best provider (evidence of the others
 * comes from head polls, not from users), load sheds to the next best when the best one's
 * connection pool is full, and the head polls that keep that evidence fresh stay within their budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { getText, metricValue, rpc } from '../helpers/rpc.js';
import { waitFor } from '../helpers/wait.js';

/** Distinct params per call, so coalescing does not merge the requests under test. */
let counter = 0;
const addr = (): string => `0x${(++counter).toString(16).padStart(40, '0')}`;

async function attempts(cluster: Cluster): Promise<Record<string, number>> {
  const text = await getText(`${cluster.lasso.url}/metrics`);
  const out: Record<string, number> = {};
  for (const id of cluster.proxies.keys()) out[id] = metricValue(text, 'lasso_upstream_attempts_total', { provider: id, method: 'eth_getBalance' });
  return out;
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((id) => [id, (after[id] ?? 0) - (before[id] ?? 0)]));
}

async function startWithLatencies(latencies: Record<string, number>, providers: Record<string, Record<string, unknown>> = {}): Promise<Cluster> {
  const cluster = await startCluster({ faultProxies: true, providers, chain: { headPollIntervalMs: 1000 } });
  for (const [id, ms] of Object.entries(latencies)) cluster.proxies.get(id)?.setFaults([{ type: 'latency', ms, jitterMs: 2 }]);
  await cluster.devnet.mineBlock();
  // Head polls (every second here) are the evidence of providers that get no user traffic.
  await waitFor(() => Object.keys(latencies).every((id) => cluster.lasso.chains.resolve('devnet')?.evidence.tailLatency(id, 'eth_blockNumber') !== undefined), {
    timeoutMs: 15_000,
    what: 'head-poll evidence of every provider',
  });
  return cluster;
}

describe('default strategy: serve from the best provider', () => {
  let cluster: Cluster;
  // The fastest is deliberately not the first by priority.
  beforeAll(async () => {
    cluster = await startWithLatencies({ 'node-0': 45, 'node-1': 15, 'node-2': 5 });
  });
  afterAll(async () => cluster?.close());

  it('sends at most 2% of user requests to providers 3x (or more) slower than the best', async () => {
    // Counted by the provider that answered, leaving out hedged requests: a hedge is the tail-latency
    // tool (a request that waited too long on the best), not routing sending users elsewhere.
    // Steady state: the first few requests are what teaches Lasso the method's cost.
    for (let i = 0; i < 20; i++) await rpc(cluster.rpcUrl, 'eth_getBalance', [addr(), 'latest']);
    let routedToSlow = 0;
    let hedged = 0;
    for (let i = 0; i < 200; i++) {
      const res = await rpc(cluster.rpcUrl, 'eth_getBalance', [addr(), 'latest']);
      expect(res.body.result).toBeDefined();
      if (res.headers['x-lasso-hedged'] === '1') hedged++;
      else if (res.headers['x-lasso-provider'] !== 'node-2') routedToSlow++;
    }
    expect(routedToSlow / (200 - hedged)).toBeLessThanOrEqual(0.02);
  });
});

describe('default strategy: load shedding', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startWithLatencies({ 'node-0': 150, 'node-1': 60, 'node-2': 20 }, { 'node-2': { maxConcurrent: 2 } });
  });
  afterAll(async () => cluster?.close());

  it('sheds to the second best while the best one has every connection busy, instead of queueing behind it', async () => {
    // One at a time, the best is never saturated: nothing goes elsewhere.
    const calm = await attempts(cluster);
    for (let i = 0; i < 30; i++) await rpc(cluster.rpcUrl, 'eth_getBalance', [addr(), 'latest']);
    const before = await attempts(cluster);
    expect(delta(calm, before)['node-2']).toBeGreaterThanOrEqual(29);
    const burst = await Promise.all(Array.from({ length: 40 }, () => rpc(cluster.rpcUrl, 'eth_getBalance', [addr(), 'latest'])));
    const sent = delta(before, await attempts(cluster));
    expect(burst.every((r) => r.body.result !== undefined)).toBe(true);
    // The best keeps its two connections busy; the rest go to the second best instead of queueing
    // (40 requests of 20 ms behind two connections would take 400 ms; shed, about one 60 ms round).
    expect(sent['node-2'] ?? 0).toBeGreaterThanOrEqual(2);
    expect(sent['node-1'] ?? 0).toBeGreaterThanOrEqual(20);
  });
});

describe('default strategy: probe budget', () => {
  /** What an idle Lasso may cost each provider, in calls a minute, with 1 s blocks. */
  const CALLS_PER_MINUTE = 70;
  const windowMs = 10_000;
  let cluster: Cluster;
  beforeAll(async () => {
    // The configured head poll interval is the default one (the test cluster's own is 100 ms).
    cluster = await startCluster({ faultProxies: true, chain: { headPollIntervalMs: 2000 } });
    cluster.devnet.startMining(1000);
  });
  afterAll(async () => cluster?.close());

  it('an idle Lasso with 1 s blocks and WebSocket heads costs each provider at most about 70 calls a minute', async () => {
    const chain = cluster.lasso.chains.resolve('devnet');
    // Steady state: every provider's head subscription is live (its polls then slow to a liveness check).
    await waitFor(() => chain?.providers.every((p) => chain.headTracker.isSubscribed(p)) === true, { timeoutMs: 15_000, what: 'every head subscription live' });
    const calls = (): Record<string, number> =>
      Object.fromEntries([...cluster.proxies].map(([id, proxy]) => [id, proxy.stats().httpRequests + proxy.stats().wsMessagesFromClients]));
    const before = calls();
    // A measurement window, not a wait for a condition: what is counted is what the window costs.
    await new Promise((r) => setTimeout(r, windowMs));
    const spent = delta(before, calls());
    // One call more for a poll that lands on the window's edge. Without its subscription a provider
    // is polled every block (at most 60 polls and 12 finality reads a minute), which the bound also
    // allows: a subscription lost on a busy machine does not fail the test.
    const limit = Math.ceil((CALLS_PER_MINUTE * windowMs) / 60_000) + 1;
    for (const [id, n] of Object.entries(spent)) expect(n, `${id}: ${n} calls in ${windowMs} ms`).toBeLessThanOrEqual(limit);
  });
});
