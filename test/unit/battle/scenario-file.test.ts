import { DEFAULT_METHOD_MIX } from '../../../src/chaos/workload/index.js';
import { describe, expect, it } from 'vitest';
import { ScenarioFileError } from '../../../src/battle/errors.js';
import { parseScenarioText } from '../../../src/battle/scenario-file.js';
import { builtInScenario, builtInScenarios } from '../../../src/battle/scenarios.js';

const VALID = `
name: my-run
title: My run
seed: 9
duration: 2m
providers:
  - { id: alpha, latency: 20ms, jitter: 5ms }
  - { id: beta, latency: 30ms, lagBlocks: 2 }
workload:
  rate: 3000/m
  mix: { eth_blockNumber: 70, eth_getBalance: 30 }
  timeout: 5s
subscriptions:
  - { kind: newHeads, count: 2 }
chaos:
  - { at: 10s, action: partition, target: alpha, duration: 20s }
  - { at: 40s, action: fault, target: [beta], duration: 5s, fault: { type: http_status, status: 503 } }
  - { at: 60s, action: flap, target: alpha, duration: 30s, down: 2s, up: 3s }
slos:
  successRatio: 99.9%
  p95: 200ms
  failover: 2s
  maxGapBlocks: 0
  headsBackwards: 0
  stalenessP99Blocks: 1
soak:
  interval: 2s
  maxGrowth: { heapMb: 32 }
compare: { pinTo: beta }
`;

function issuesOf(text: string, file = 'bad.yaml'): { path: string; message: string }[] {
  try {
    parseScenarioText(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioFileError);
    return (err as ScenarioFileError).issues;
  }
  throw new Error('expected a ScenarioFileError');
}

describe('scenario files', () => {
  it('turns a valid file into a battle scenario (units converted, defaults applied)', () => {
    const s = parseScenarioText(VALID, 'dir/my.yaml');
    expect(s.name).toBe('my-run');
    expect(s.source).toBe('dir/my.yaml');
    expect(s.seed).toBe(9);
    expect(s.durationMs).toBe(120_000);
    expect(s.providers).toEqual([
      { id: 'alpha', latencyMs: 20, jitterMs: 5 },
      { id: 'beta', latencyMs: 30, lagBlocks: 2 },
    ]);
    expect(s.workload).toEqual({ rate: 50, mix: { eth_blockNumber: 70, eth_getBalance: 30 }, timeoutMs: 5000 });
    expect(s.blockTimeMs).toBe(1000);
    expect(s.chaos[0]).toEqual({ at: 10_000, action: 'partition', target: 'alpha', durationMs: 20_000 });
    expect(s.chaos[2]).toEqual({ at: 60_000, action: 'flap', target: 'alpha', durationMs: 30_000, downMs: 2000, upMs: 3000 });
    expect(s.slos).toEqual({ successRatio: 0.999, p95Ms: 200, failoverMs: 2000, maxGapBlocks: 0, headsBackwards: 0, stalenessP99Blocks: 1 });
    expect(s.soak).toEqual({ intervalMs: 2000, maxGrowth: { heapMb: 32 } });
    expect(s.compare).toEqual({ pinTo: 'beta' });
  });

  it('applies command-line overrides', () => {
    const s = parseScenarioText(VALID, 'my.yaml', { durationMs: 5000, rate: 7, seed: 3 });
    expect([s.durationMs, s.workload.rate, s.seed]).toEqual([5000, 7, 3]);
  });

  it('names the file when the document has no name', () => {
    expect(parseScenarioText('duration: 1s\nworkload: { rate: 1 }', '/x/y/flaky run.yml').name).toBe('flaky-run');
  });

  it('reports every schema problem with its path', () => {
    const issues = issuesOf(`
duration: soon
workload: { rate: -5, mix: { eth_nothing: 1 } }
slos: { successRatio: 150%, p95: fast }
chaos:
  - { at: 1s, action: explode, target: node-0 }
extra: 1
`);
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['duration', 'workload.rate', 'workload.mix', 'slos.successRatio', 'slos.p95', 'chaos.0.action', '']));
    expect(issues.find((i) => i.path === 'duration')!.message).toMatch(/invalid duration "soon"/);
    expect(issues.find((i) => i.path === '')!.message).toMatch(/extra/);
  });

  it('checks chaos targets and fault rules against the providers', () => {
    const issues = issuesOf(`
duration: 10s
providers: 2
workload: { rate: 10 }
chaos:
  - { at: 1s, action: partition, target: node-7 }
  - { at: 2s, action: fault, target: node-0, fault: { type: latency } }
`);
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['chaos.1.fault']));
    const targets = issuesOf(`
duration: 10s
providers: 2
workload: { rate: 10 }
chaos: [{ at: 1s, action: partition, target: node-7 }]
`);
    expect(targets).toEqual([{ path: 'chaos.0.target', message: 'unknown provider "node-7"; providers are node-0, node-1' }]);
  });

  it('rejects YAML that does not parse, or is not a mapping', () => {
    expect(issuesOf('a: [1, 2')[0]!.message).toMatch(/not valid YAML/);
    expect(issuesOf('- 1\n- 2')[0]!.message).toMatch(/must be a mapping/);
  });

  it('the error message lists the problems by path', () => {
    try {
      parseScenarioText('duration: 1s', 'x.yaml');
    } catch (err) {
      expect((err as Error).message).toBe('invalid scenario file x.yaml:\n  - workload: Invalid input: expected object, received undefined');
    }
  });
});

describe('built-in scenarios', () => {
  it('lists smoke, flapping, partition, rate-limited, soak, tail, consistency and reorgs', () => {
    expect(builtInScenarios().map((s) => s.name)).toEqual(['smoke', 'flapping', 'partition', 'rate-limited', 'soak', 'tail', 'consistency', 'reorgs']);
  });

  it('reorgs: 2- and 3-block reorgs 60–90 s apart (at least 4 in 5 minutes, scaled for shorter runs), cache on, 0 stale answers', () => {
    const s = builtInScenario('reorgs');
    const reorgs = s.chaos.filter((c) => c.action === 'reorg');
    expect(reorgs.length).toBeGreaterThanOrEqual(4);
    expect(reorgs.every((c) => c.action === 'reorg' && (c.depth === 2 || c.depth === 3))).toBe(true);
    const gaps = reorgs.slice(1).map((c, i) => c.at - reorgs[i]!.at);
    expect(gaps.every((g) => g >= 60_000 && g <= 90_000)).toBe(true);
    expect(reorgs[reorgs.length - 1]!.at).toBeLessThanOrEqual(s.durationMs - 15_000);
    expect(builtInScenario('reorgs', { durationMs: 120_000 }).chaos.length).toBeGreaterThanOrEqual(4);
    expect(s.lasso?.chain).toMatchObject({ cache: { enabled: true } });
    expect(s.workload.mix.eth_sendRawTransaction ?? 0).toBe(0);
    expect(s.slos).toMatchObject({ staleAnswers: 0, headsBackwards: 0, olderLatest: 0, bogusHeads: 0, staleAfterReceipt: 0 });
  });

  it('consistency: a provider lagging 2 blocks for real, a liar (+1000) for the whole run, a 2-block reorg, every count at 0', () => {
    const s = builtInScenario('consistency', { durationMs: 60_000 });
    expect(s.providers.map((p) => p.lagBlocks ?? 0)).toEqual([0, 0, 2]);
    expect(s.providers[1]!.faults).toEqual([expect.objectContaining({ type: 'rewrite_result', methods: ['eth_blockNumber'], addHex: 1000 })]);
    expect(s.chaos).toEqual([expect.objectContaining({ action: 'reorg', depth: 2, at: 30_000 })]);
    expect(s.workload.mix.eth_sendRawTransaction ?? 0).toBe(0);
    expect(s.lasso?.chain).toMatchObject({ cache: { enabled: true } }); // as a user runs Lasso
    expect(s.slos).toMatchObject({ headsBackwards: 0, olderLatest: 0, bogusHeads: 0, staleAfterReceipt: 0, stalenessP99Blocks: 1 });
    expect(s.slos.successRatio).toBeGreaterThanOrEqual(0.999);
  });

  it('flapping is the classic: 3 providers, one flapping every 3 minutes, the default read mix, 10 + 5 subscribers', () => {
    const s = builtInScenario('flapping');
    expect(s.durationMs).toBe(30 * 60_000);
    expect(s.providers).toHaveLength(3);
    expect(s.workload.mix).toEqual({ ...DEFAULT_METHOD_MIX });
    expect(s.subscriptions).toEqual([
      { kind: 'newHeads', count: 10 },
      { kind: 'logs', count: 5 },
    ]);
    const flap = s.chaos[0]!;
    expect(flap.action).toBe('flap');
    if (flap.action === 'flap') expect((flap.downMs ?? 0) + (flap.upMs ?? 0)).toBe(180_000);
    expect(s.slos.successRatio).toBeGreaterThanOrEqual(0.999);
    expect(s.slos.p95Ms).toBeLessThanOrEqual(200);
    expect([s.slos.wsDeliveryRatio, s.slos.duplicateRatio]).toEqual([1, 0]);
  });

  it('scales chaos to a shorter --duration and keeps it inside the run', () => {
    for (const { name } of builtInScenarios()) {
      const s = builtInScenario(name, { durationMs: 10_000 });
      expect(s.durationMs).toBe(10_000);
      for (const c of s.chaos) expect(c.at).toBeLessThan(10_000);
    }
  });

  it('rejects an unknown name with the list of built-ins', () => {
    expect(() => builtInScenario('nope')).toThrow(/unknown scenario "nope"; built-in scenarios: smoke, flapping/);
  });
});
