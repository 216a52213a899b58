import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy, ScenarioConfigError, groupSamples, startStaticUpstream, sumSamples } from '../../../src/chaos/index.js';
import {
  ChaosTimeline,
  ProviderFaults,
  diffSamples,
  parsePrometheusText,
  renderScenarioDocs,
  requestTotals,
  serializeEntry,
  sparkline,
  timeSeries,
  validateTimeline,
} from '../../../src/chaos/scenario/index.js';
import { createRunClock } from '../../../src/chaos/workload/index.js';
import type { ChaosEntry, RequestRecord, ScenarioCluster, ScenarioResult, StaticUpstream } from '../../../src/chaos/index.js';

describe('Prometheus text', () => {
  const text = [
    '# HELP lasso_requests_total x',
    '# TYPE lasso_requests_total counter',
    'lasso_requests_total{chain="devnet",method="eth_call",outcome="success"} 5',
    'lasso_requests_total{chain="devnet",method="eth_blockNumber",outcome="success"} 3',
    'lasso_requests_total{chain="devnet",method="eth_call",outcome="failed"} 1',
    'lasso_odd{label="a \\"quoted\\", comma"} 2.5',
    'lasso_up 1',
    '',
  ].join('\n');

  it('parses samples with escaped label values', () => {
    const samples = parsePrometheusText(text);
    expect(samples).toHaveLength(5);
    expect(samples[3]).toEqual({ name: 'lasso_odd', labels: { label: 'a "quoted", comma' }, value: 2.5 });
    expect(samples[4]).toEqual({ name: 'lasso_up', labels: {}, value: 1 });
  });

  it('sums, groups and diffs', () => {
    const after = parsePrometheusText(text);
    const before = parsePrometheusText('lasso_requests_total{chain="devnet",method="eth_call",outcome="success"} 2');
    expect(sumSamples(after, 'lasso_requests_total', { outcome: 'success' })).toBe(8);
    expect(groupSamples(after, 'lasso_requests_total', 'method')).toEqual({ eth_call: 6, eth_blockNumber: 3 });
    const delta = diffSamples(before, after);
    expect(sumSamples(delta, 'lasso_requests_total', { method: 'eth_call', outcome: 'success' })).toBe(3);
    expect(sumSamples(delta, 'lasso_requests_total', { method: 'eth_blockNumber' })).toBe(3);
  });
});

describe('result aggregation', () => {
  const rec = (seq: number, scheduledMs: number, latencyMs: number, outcome: RequestRecord['outcome'], extra: Partial<RequestRecord> = {}): RequestRecord => ({
    seq,
    kind: 'eth_blockNumber',
    method: 'eth_blockNumber',
    scheduledMs,
    sentMs: scheduledMs,
    latencyMs,
    outcome,
    ...extra,
  });
  const records = [
    rec(0, 0, 10, 'success', { provider: 'a', attempts: 1 }),
    rec(1, 500, 20, 'success', { provider: 'b', attempts: 2 }),
    rec(2, 1000, 30, 'failed', { errorCode: -32001, attempts: 0 }),
    rec(3, 1500, 40, 'rpc_error', { provider: 'a', errorCode: 3, attempts: 1, kind: 'eth_call:revert', method: 'eth_call' }),
  ];

  it('totals outcomes, providers, attempts and errors', () => {
    const t = requestTotals(records);
    expect(t).toMatchObject({ requests: 4, success: 2, rpcError: 1, failed: 1, successRatio: 0.5, answeredRatio: 0.75 });
    expect(t.byProvider).toEqual({ a: 2, b: 1 });
    expect(t.attempts).toEqual({ total: 4, max: 2, distribution: { '0': 1, '1': 2, '2': 1 } });
    expect(t.errors).toEqual({ 'code:-32001': 1, 'code:3': 1 });
    expect(Object.keys(t.byMethod)).toEqual(['eth_blockNumber', 'eth_call:revert']);
    expect(t.latencyMs.max).toBeCloseTo(40, 1);
  });

  it('buckets by scheduled time', () => {
    const points = timeSeries(records, 1000, 2000);
    expect(points.map((p) => [p.tMs, p.requests, p.success, p.failed])).toEqual([
      [0, 2, 2, 0],
      [1000, 2, 0, 1],
    ]);
    expect(points[0]!.providers).toEqual({ a: 1, b: 1 });
    expect(points[1]!.successRatio).toBe(0);
  });

  it('renders docs with a summary row and the checks of each scenario', () => {
    const result = {
      schema: 'lasso.scenario-result',
      schemaVersion: 1,
      name: '99-demo',
      title: 'Demo',
      description: 'Shows the page.',
      seed: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 2000,
      environment: { node: 'v20', platform: 'linux-x64', cpus: 2 },
      config: { providers: [{ id: 'a', latencyMs: 10 }], workload: { rate: 2, durationMs: 2000, mix: { eth_blockNumber: 1 } }, lasso: {}, blockTimeMs: 1000, chaos: [], subscriptions: [] },
      totals: requestTotals(records),
      timeSeries: { bucketMs: 1000, points: timeSeries(records, 1000, 2000) },
      chaos: [{ entry: 0, action: 'kill', phase: 'apply', targets: ['a'], label: 'kill a', plannedAtMs: 1000, atMs: 1001 }],
      providers: {},
      breakers: [],
      providerStates: [],
      metrics: { requests: {}, attempts: {}, failovers: 0, breakerTransitions: [] },
      subscriptions: [],
      checks: [{ name: 'success | ratio', passed: false, measured: '50%', expected: '100%' }],
      passed: false,
    } satisfies ScenarioResult;
    const md = renderScenarioDocs([result]);
    expect(md).toContain('| [99-demo](#99-demo-demo) Demo | 4 | 50.00% |');
    expect(md).toContain('## 99-demo: Demo');
    expect(md).toContain('1001 ms: kill a');
    expect(md).toContain('| success \\| ratio | 50% | 100% | **FAIL** |');
    expect(sparkline([0, 1, null, 0.5])).toBe('▁█ ▅');
  });
});

describe('chaos timeline', () => {
  let upstream: StaticUpstream | undefined;
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await upstream?.close();
    proxy = undefined;
    upstream = undefined;
  });

  it('rejects unknown targets and bad timings before anything runs', () => {
    const ids = ['a', 'b'];
    expect(() => validateTimeline([{ at: 0, action: 'kill', target: 'c' }], ids)).toThrow(ScenarioConfigError);
    expect(() => validateTimeline([{ at: -1, action: 'kill', target: 'a' }], ids)).toThrow(/at must be/);
    expect(() => validateTimeline([{ at: 0, action: 'flap', target: 'a', downMs: 0, durationMs: 10 }], ids)).toThrow(/downMs/);
    expect(() => validateTimeline([{ at: 0, action: 'fault', target: 'all', fault: { type: 'latency', ms: -5 } }], ids)).toThrow(/chaos\[0\]/);
    expect(() => validateTimeline([{ at: 0, action: 'partition', target: ['a', 'b'], durationMs: 100 }, { at: 5, action: 'reorg', depth: 2 }], ids)).not.toThrow();
    const custom: ChaosEntry = { at: 0, action: 'custom', name: 'x', run: () => undefined };
    expect(serializeEntry(custom)).toEqual({ at: 0, action: 'custom', name: 'x' });
  });

  it('plays partitions, flaps, faults and devnet actions at their times and records each operation', async () => {
    upstream = await startStaticUpstream();
    proxy = await FaultProxy.start({ target: { httpUrl: upstream.url }, seed: 1, name: 'a' });
    const faults = new ProviderFaults(proxy);
    faults.addBaseline([{ type: 'latency', ms: 1 }]);
    faults.addCounter('eth_call');
    const devnetCalls: string[] = [];
    const devnet = new Proxy({}, { get: (_t, name) => (...args: unknown[]) => void devnetCalls.push(`${String(name)}(${args.join(',')})`) });
    const cluster = { providers: [{ id: 'a', nodeId: 'node-0', proxy, faults, spec: {} }], provider: () => ({ id: 'a', nodeId: 'node-0', proxy, faults, spec: {} }), devnet } as unknown as ScenarioCluster;
    const clock = createRunClock();
    const listening: boolean[] = [];
    const timeline = new ChaosTimeline(
      [
        { at: 0, action: 'partition', target: 'a', durationMs: 60 },
        { at: 100, action: 'flap', target: 'a', downMs: 30, upMs: 30, durationMs: 120 },
        { at: 30, action: 'custom', name: 'probe', run: () => void listening.push(proxy!.stats().listening) },
        { at: 260, action: 'fault', target: 'a', fault: { type: 'http_status', status: 503 } },
        { at: 280, action: 'clearFaults', target: 'a' },
        { at: 290, action: 'kill', target: 'a' },
        { at: 290, action: 'reorg', depth: 2 },
      ],
      cluster,
      clock,
      9,
    );
    timeline.start();
    // The last entry is at 290 ms; wait for it to be recorded.
    const deadline = Date.now() + 3000;
    while (timeline.events.length < 11 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await timeline.stop();
    const phases = timeline.events.map((e) => `${e.action}:${e.phase}`);
    expect(phases).toEqual([
      'partition:start',
      'custom:apply',
      'partition:end',
      'flap:down',
      'flap:up',
      'flap:down',
      'flap:up',
      'fault:apply',
      'clearFaults:apply',
      'kill:apply',
      'reorg:apply',
    ]);
    expect(listening).toEqual([false]);
    for (const e of timeline.events) {
      expect(e.error).toBeUndefined();
      // Never early; late only by the timer and event-loop delays of a busy machine (the whole
      // suite runs in parallel on 2 cores), which the plan itself must not accumulate (below).
      expect(e.atMs - e.plannedAtMs).toBeGreaterThan(-5);
      expect(e.atMs - e.plannedAtMs).toBeLessThan(750);
    }
    // The end is planned from the planned start (the timeline keeps its schedule), 60 ms later.
    const [start, end] = [timeline.events[0]!, timeline.events[2]!];
    expect(end.plannedAtMs - start.plannedAtMs).toBeCloseTo(60, 0);
    expect(timeline.window(0).endMs! - timeline.window(0).startMs!).toBeGreaterThan(0);
    expect(devnetCalls).toEqual(['kill(node-0,SIGKILL)', 'reorg(2,[object Object])']);
    // Baseline and counter rules survive clearFaults; the port listens again.
    expect(proxy.faults().map((f) => f.rule.type)).toEqual(['latency', 'latency']);
    expect(proxy.stats().listening).toBe(true);
  });
});
