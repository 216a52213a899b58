// A synthetic but complete battle result (comparison, soak, baseline, incidents), for report tests.
import { createPrng } from '../../../src/chaos/prng.js';
import type { ChaosEventRecord, ProviderSample, ProviderStateChange, ScenarioResult, TimePoint } from '../../../src/chaos/scenario/index.js';
import type { RequestRecord } from '../../../src/chaos/workload/index.js';
import { analyzeFaults } from '../../../src/battle/analysis/faults.js';
import { BATTLE_RESULT_SCHEMA, BATTLE_RESULT_SCHEMA_VERSION } from '../../../src/battle/result-types.js';
import type { ArmResult, BattleResult } from '../../../src/battle/result-types.js';
import { evaluateSlos } from '../../../src/battle/slo.js';
import { analyzeSoak } from '../../../src/battle/soak.js';
import type { SoakSample } from '../../../src/battle/soak.js';

const DURATION = 60_000;
const RATE = 20;

/** Requests at RATE/s for 60 s; node-1 is partitioned from 20 s to 30 s and its requests fail for 150 ms. */
export function syntheticRecords(seed = 1): RequestRecord[] {
  const prng = createPrng(seed);
  const out: RequestRecord[] = [];
  for (let i = 0; i < (DURATION / 1000) * RATE; i++) {
    const scheduledMs = (i * 1000) / RATE;
    const hurt = scheduledMs >= 20_000 && scheduledMs < 20_150;
    const provider = hurt ? undefined : `node-${i % 3 === 1 && scheduledMs >= 20_000 && scheduledMs < 30_000 ? 0 : i % 3}`;
    out.push({
      seq: i,
      kind: 'eth_blockNumber',
      method: 'eth_blockNumber',
      scheduledMs,
      sentMs: scheduledMs,
      latencyMs: hurt ? 400 : 5 + prng.next() * 10,
      outcome: hurt ? 'failed' : 'success',
      ...(provider && { provider }),
      ...(hurt && { errorCode: -32603 }),
    });
  }
  return out;
}

export const syntheticChaos: ChaosEventRecord[] = [
  { entry: 0, action: 'partition', phase: 'start', targets: ['node-1'], label: 'partition node-1 for 10000 ms', plannedAtMs: 20_000, atMs: 20_000, doneMs: 20_001 },
  { entry: 0, action: 'partition', phase: 'end', targets: ['node-1'], label: 'partition node-1 for 10000 ms', plannedAtMs: 30_000, atMs: 30_000, doneMs: 30_002 },
];

/** Breaker polls: node-1 open from 20.2 s, half-open at 30.2 s, closed at 30.5 s. */
export function syntheticSamples(): { samples: ProviderSample[]; changes: ProviderStateChange[] } {
  const samples: ProviderSample[] = [];
  for (let t = 0; t <= DURATION + 1000; t += 100) {
    const state = t >= 20_200 && t < 30_200 ? 'open' : t >= 30_200 && t < 30_500 ? 'half_open' : 'closed';
    const p = (breaker: string) => ({ breakers: { http: breaker, ws: 'closed' }, lagging: false, lag: 0, head: 10, coolingDown: false, wsSubscriptions: 1, wsConnection: 'open' });
    samples.push({ tMs: t, providers: { 'node-0': p('closed'), 'node-1': p(state), 'node-2': p('closed') } });
  }
  const changes: ProviderStateChange[] = [
    { tMs: 20_200, provider: 'node-1', field: 'breaker:http', from: 'closed', to: 'open' },
    { tMs: 30_200, provider: 'node-1', field: 'breaker:http', from: 'open', to: 'half_open' },
    { tMs: 30_500, provider: 'node-1', field: 'breaker:http', from: 'half_open', to: 'closed' },
  ];
  return { samples, changes };
}

function points(records: RequestRecord[]): TimePoint[] {
  const out: TimePoint[] = [];
  for (let b = 0; b < DURATION / 1000; b++) {
    const group = records.filter((r) => Math.floor(r.scheduledMs / 1000) === b);
    const providers: Record<string, number> = {};
    for (const r of group) if (r.provider) providers[r.provider] = (providers[r.provider] ?? 0) + 1;
    const success = group.filter((r) => r.outcome === 'success').length;
    const lat = group.map((r) => r.latencyMs).sort((a, c) => a - c);
    const at = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
    out.push({ tMs: b * 1000, requests: group.length, success, rpcError: 0, failed: group.length - success, successRatio: group.length ? success / group.length : null, latencyMs: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) }, providers });
  }
  return out;
}

function arm(id: ArmResult['arm'], title: string, shift: number, missed: number): ArmResult {
  const recs = syntheticRecords(7 + shift);
  const pts = points(recs);
  return {
    arm: id,
    title,
    description: `${title} configured with defaults`,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: DURATION,
    requests: recs.length,
    success: recs.length - 3,
    rpcError: 0,
    failed: 3,
    successRatio: 1 - 3 / recs.length,
    answeredRatio: 1 - 3 / recs.length,
    latencyMs: { count: recs.length, mean: 10 + shift, p50: 9 + shift, p90: 14 + shift, p95: 15 + shift, p99: 40 + shift * 10, p999: 400, max: 400 + shift },
    errors: { 'code:-32603': 3 },
    topFailures: [{ detail: 'code -32603: internal error', count: 3 }],
    blocks: { subscribers: 1, expected: 60, delivered: 60 - missed, missed, duplicates: 0, maxGapBlocks: missed, outOfOrder: 0 },
    failover: { worstMs: 150 + shift, unsettled: 0, episodes: 1 },
    timeSeries: { bucketMs: 1000, points: pts.map((p) => ({ tMs: p.tMs, requests: p.requests, successRatio: p.successRatio, p50: p.latencyMs.p50, p95: p.latencyMs.p95 + shift, p99: p.latencyMs.p99 + shift * 3 })) },
  };
}

/** A complete result exercising every chart and table. */
export function syntheticResult(): BattleResult {
  const records = syntheticRecords();
  const { samples, changes } = syntheticSamples();
  const faults = analyzeFaults({ records, chaos: syntheticChaos, entries: [{ at: 20_000, action: 'partition', target: 'node-1', durationMs: 10_000 }], samples, breakers: changes, rate: RATE });
  const pts = points(records);
  const soakSamples: SoakSample[] = Array.from({ length: 60 }, (_, i) => ({ tMs: i * 1000, heapUsedMb: 40 + (i % 5), rssMb: 120 + i * 0.1, handles: 50, sockets: 20, subscriptions: 3, upstreamSubscriptions: 2 }));
  const soak = analyzeSoak(soakSamples, { warmupMs: 5000, maxGrowth: { heapMb: 10, rssMb: 20 } }, DURATION, 4242);
  const heads = Array.from({ length: 60 }, (_, i) => ({
    tMs: i * 1000,
    headsPerSubscriber: i === 25 ? 0 : 1,
    logsPerSubscriber: 2,
    incidents: i === 26 ? 1 : 0,
    headLagP50Ms: i === 25 ? null : i === 26 ? 1400 : 12,
    headLagMaxMs: i === 25 ? null : i === 26 ? 2100 : 20,
    gaps: i === 26 ? 1 : 0,
    duplicates: 0,
    closes: 0,
  }));
  const subscriptions = {
    subscribers: 2,
    expected: 180,
    delivered: 180,
    deliveryRatio: 1,
    duplicates: 0,
    duplicateRatio: 0,
    maxGapBlocks: 0,
    missed: 0,
    closes: 0,
    bySubscriber: [
      { name: 'newHeads-0', kind: 'newHeads' as const, expected: 60, delivered: 60, deliveryRatio: 1, missed: 0, duplicates: 0, maxGapBlocks: 0, outOfOrder: 0, reorgErrors: 0, closes: 0, ok: true },
      { name: 'logs-1', kind: 'logs' as const, expected: 120, delivered: 120, deliveryRatio: 1, missed: 0, duplicates: 0, maxGapBlocks: 0, outOfOrder: 0, reorgErrors: 0, closes: 0, ok: true },
    ],
    series: { bucketMs: 1000, points: heads },
    incidents: [{ tMs: 26_000, subscriber: 'newHeads-0', type: 'gap' as const, detail: '1 block(s) skipped after 25' }],
  };
  const totals = { requests: records.length, success: records.length - 3, rpcError: 0, failed: 3, successRatio: 1 - 3 / records.length, answeredRatio: 1 - 3 / records.length, latencyMs: { count: records.length, mean: 10, p50: 9.5, p90: 13, p95: 14, p99: 30, p999: 400, max: 400 } };
  const slos = evaluateSlos({ successRatio: 0.99, p95Ms: 200, failoverMs: 2000, breakerOpenMs: 2000, recoveryMs: 30_000, wsDeliveryRatio: 1 }, { totals, subscriptions, faults, soak });
  const lasso: ScenarioResult = {
    schema: 'lasso.scenario-result',
    schemaVersion: 1,
    name: 'synthetic',
    seed: 1,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: DURATION,
    environment: { node: 'v20', platform: 'linux-x64', cpus: 2 },
    config: { providers: [], workload: { rate: RATE, durationMs: DURATION, mix: { eth_blockNumber: 1 } }, lasso: {}, blockTimeMs: 1000, chaos: [], subscriptions: [] },
    totals: { ...totals, byMethod: { eth_blockNumber: totals }, byProvider: {}, attempts: { total: 0, max: 1, distribution: {} }, errors: { 'code:-32603': 3 } },
    timeSeries: { bucketMs: 1000, points: pts },
    chaos: syntheticChaos,
    providers: {},
    breakers: changes,
    providerStates: [],
    metrics: { requests: {}, attempts: {}, failovers: 4, breakerTransitions: [] },
    subscriptions: [],
    checks: [],
    passed: true,
  };
  const failed = slos.filter((s) => !s.passed).map((s) => s.id);
  return {
    schema: BATTLE_RESULT_SCHEMA,
    schemaVersion: BATTLE_RESULT_SCHEMA_VERSION,
    generator: { name: 'lasso battle', version: '0.0.0-test' },
    id: '20250101-000000Z-synthetic-compare',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:04:00.000Z',
    wallTimeMs: 240_000,
    environment: { node: 'v20', platform: 'linux-x64', cpus: 2, cpuModel: 'test cpu', memoryGb: 4 },
    scenario: {
      name: 'synthetic',
      title: 'Synthetic <report> & "escaping" check',
      description: 'Made-up numbers for report tests.',
      source: 'builtin',
      seed: 1,
      durationMs: DURATION,
      rate: RATE,
      mix: { eth_blockNumber: 1 },
      providers: [{ id: 'node-0', latencyMs: 5 }, { id: 'node-1', latencyMs: 5 }, { id: 'node-2' }],
      blockTimeMs: 1000,
      subscriptions: [{ kind: 'newHeads' }, { kind: 'logs' }],
      chaos: [{ at: 20_000, action: 'partition', target: 'node-1', durationMs: 10_000 }],
      slos: { successRatio: 0.99 },
    },
    options: { compare: true, baseline: 'old.json', tolerance: 0.1 },
    verdict: { passed: failed.length === 0, exitCode: failed.length === 0 ? 0 : 1, failed, inconclusive: [] },
    slos,
    faults,
    subscriptions,
    soak,
    comparison: {
      arms: [arm('lasso', 'Lasso', 0, 0), arm('pinned', 'Single provider', 4, 9), arm('viem-fallback', 'viem fallback (rank)', 2, 3), { ...arm('ethers-fallback', 'ethers FallbackProvider', 3, 1), error: 'could not run: boom' }],
      note: 'Made up.',
    },
    baseline: { file: 'old.json', scenario: 'synthetic', startedAt: '2024-12-01T00:00:00.000Z', tolerance: 0.1, metrics: [{ metric: 'p95Ms', better: 'lower', baseline: 12, current: 14, regressed: true }], regressions: ['p95Ms'] },
    lasso,
  };
}
