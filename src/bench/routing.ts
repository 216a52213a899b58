/**
 * npm run bench:routing — Lasso's routing against the client-side alternatives, side by side:
 *   steady  three providers 5 / 15 / 25 ms away (± 3 ms jitter), no faults;
 *   chaos   the `tail` battle scenario's timeline (one provider hangs, one is down, one flaps).
 * Each round runs every arm on the same devnet setup, seed and request schedule: Lasso (its
 * default strategy), the nearest provider alone ("pinned") and viem's `fallback` with `rank`.
 * Rounds are interleaved (round 1 of every arm, then round 2, ...) so that a burst of outside load
 * spoils one round, not one arm; each figure is the median over rounds. Lasso runs with its
 * response cache off (the scenario environment's default), so every request reaches a provider.
 *
 * Environment: BENCH_ROUTING_ROUNDS (7), BENCH_ROUTING_STEADY_MS (15000), BENCH_ROUTING_CHAOS_MS
 * (60000; the timeline scales with it), BENCH_ROUTING_SCENARIOS ("steady,chaos"), BENCH_ROUTING_OUT
 * (a JSON file for the results).
 */
import { generatorInfo } from '../battle/environment.js';
import { writeFile } from 'node:fs/promises';
import type { ArmId } from '../battle/arms/index.js';
import type { ArmResult } from '../battle/result-types.js';
import { runBattle } from '../battle/runner.js';
import type { BattleScenario } from '../battle/scenario-types.js';
import { builtInScenario } from '../battle/scenarios.js';
import { DEFAULT_METHOD_MIX } from '../chaos/workload/index.js';

const ROUNDS = Number(process.env.BENCH_ROUTING_ROUNDS ?? 7);
const STEADY_MS = Number(process.env.BENCH_ROUTING_STEADY_MS ?? 15_000);
const CHAOS_MS = Number(process.env.BENCH_ROUTING_CHAOS_MS ?? 60_000);
const SCENARIOS = (process.env.BENCH_ROUTING_SCENARIOS ?? 'steady,chaos').split(',');
const CLIENT_ARMS: ArmId[] = ['pinned', 'viem-fallback'];
/**
 * The classic read mix without eth_blockNumber: Lasso answers it from its own view of the chain
 * while the client-side arms ask a provider, which would flatter Lasso's latency.
 */
const { eth_blockNumber: _answeredLocally, ...MIX } = DEFAULT_METHOD_MIX;

function steady(seed: number): BattleScenario {
  return {
    name: 'routing-steady',
    title: 'Steady state: providers 5 / 15 / 25 ms away',
    description: 'Three providers 5, 15 and 25 ms away (± 3 ms jitter), no faults, 30 req/s of the classic read mix without eth_blockNumber.',
    source: 'bench',
    seed,
    durationMs: STEADY_MS,
    providers: ['node-0', 'node-1', 'node-2'].map((id, i) => ({ id, latencyMs: 5 + 10 * i, jitterMs: 3 })),
    workload: { rate: 30, mix: { ...MIX }, timeoutMs: 10_000 },
    blockTimeMs: 1000,
    subscriptions: [],
    chaos: [],
    slos: {},
    compare: { pinTo: 'node-0' },
  };
}

function chaos(seed: number): BattleScenario {
  const tail = builtInScenario('tail', { durationMs: CHAOS_MS, seed });
  return { ...tail, workload: { ...tail.workload, mix: { ...MIX } }, subscriptions: [], compare: { pinTo: 'node-0' } };
}

const BUILDERS: Record<string, (seed: number) => BattleScenario> = { steady, chaos };

interface ArmRound {
  p50: number;
  p99: number;
  successRatio: number;
  requests: number;
  success: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Latencies: medians over rounds. Success: every request of every round (a median would hide a bad round). */
function summarize(rounds: ArmRound[]): ArmRound & { worstRoundSuccessRatio: number; rounds: number } {
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const success = rounds.reduce((n, r) => n + r.success, 0);
  return {
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    successRatio: requests === 0 ? 0 : success / requests,
    requests,
    success,
    worstRoundSuccessRatio: Math.min(...rounds.map((r) => r.successRatio)),
    rounds: rounds.length,
  };
}

function armRound(a: ArmResult): ArmRound {
  return { p50: a.latencyMs.p50, p99: a.latencyMs.p99, successRatio: a.successRatio, requests: a.requests, success: a.success };
}

async function main(): Promise<void> {
  console.log(`Measured requests: ${Object.entries(MIX).map(([m, w]) => `${m} ${w}`).join(' / ')} (no eth_blockNumber: Lasso answers it without a provider).`);
  const results: Record<string, Record<string, ReturnType<typeof summarize>>> = {};
  for (const name of SCENARIOS) {
    const build = BUILDERS[name];
    if (!build) throw new Error(`unknown scenario "${name}"; expected steady or chaos`);
    const byArm = new Map<string, ArmRound[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const result = await runBattle({ scenario: build(round + 1), compare: true, arms: CLIENT_ARMS });
      for (const a of result.comparison?.arms ?? []) {
        if (a.error) throw new Error(`[${name}] round ${round + 1}: arm ${a.arm} could not run: ${a.error}`);
        if (a.success < a.requests) {
          const why = a.topFailures.map((f) => `${f.count}× ${f.detail}`).join('; ');
          process.stderr.write(`[${name}] round ${round + 1}: ${a.arm} answered ${a.requests - a.success} of ${a.requests} requests without success: ${JSON.stringify(a.errors)} ${why}\n`);
        }
        const list = byArm.get(a.arm) ?? [];
        list.push(armRound(a));
        byArm.set(a.arm, list);
      }
      const line = [...byArm].map(([arm, rs]) => `${arm} p50 ${rs.at(-1)?.p50.toFixed(2)} p99 ${rs.at(-1)?.p99.toFixed(2)} success ${((rs.at(-1)?.successRatio ?? 0) * 100).toFixed(2)}%`).join(' | ');
      process.stderr.write(`[${name}] round ${round + 1}/${ROUNDS}: ${line}\n`);
    }
    results[name] = Object.fromEntries([...byArm].map(([arm, rs]) => [arm, summarize(rs)]));
  }

  console.log('\nLasso runs with its response cache off: every request reaches a provider.');
  console.log('\nLatencies are medians over rounds; success counts every request of every round.');
  console.log('scenario   arm              p50 ms   p99 ms    success   requests   worst round');
  for (const [name, arms] of Object.entries(results)) {
    for (const [arm, s] of Object.entries(arms)) {
      console.log(
        `${name.padEnd(10)} ${arm.padEnd(15)} ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}   ${(s.successRatio * 100).toFixed(3).padStart(7)}%   ${String(s.requests).padStart(8)}   ${(s.worstRoundSuccessRatio * 100).toFixed(2).padStart(10)}%`,
      );
    }
    const lasso = arms.lasso;
    const clients = Object.entries(arms).filter(([arm]) => arm !== 'lasso');
    if (lasso && clients.length > 0) {
      const bestP50 = Math.min(...clients.map(([, s]) => s.p50));
      const bestP99 = Math.min(...clients.map(([, s]) => s.p99));
      console.log(
        `${''.padEnd(10)} Lasso vs best client-side arm: p50 ${(lasso.p50 - bestP50).toFixed(2)} ms, p99 ${(((lasso.p99 - bestP99) / bestP99) * 100).toFixed(1)}%`,
      );
    }
  }
  const json = JSON.stringify({ bench: 'routing', generator: generatorInfo(), rounds: ROUNDS, steadyMs: STEADY_MS, chaosMs: CHAOS_MS, results }, null, 2);
  console.log(json);
  if (process.env.BENCH_ROUTING_OUT) await writeFile(process.env.BENCH_ROUTING_OUT, json + '\n');
}

main().then(
  // viem's fallback ranking keeps a timer running that no API stops: the process would never end.
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
