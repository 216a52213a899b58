import type { ChaosEntry } from '../chaos/scenario/index.js';
import { DEFAULT_METHOD_MIX } from '../chaos/workload/index.js';
import { BattleUsageError } from './errors.js';
import type { BattleScenario, ScenarioOverrides } from './scenario-types.js';

/** Default seed of the built-in scenarios (any run is replayable with `--seed`). */
export const DEFAULT_SEED = 1;

type Builder = (o: Required<Pick<ScenarioOverrides, 'durationMs' | 'rate' | 'seed'>>) => Omit<BattleScenario, 'name' | 'source' | 'seed' | 'durationMs'>;

interface BuiltIn {
  summary: string;
  defaultDurationMs: number;
  defaultRate: number;
  build: Builder;
}

const MIN = 60_000;
const mix = { ...DEFAULT_METHOD_MIX };
/** Hosted RPC providers are tens of ms away; local anvil answers in 0.2 ms. */
const remote = (ids: string[], base: number, step: number, jitterMs: number) => ids.map((id, i) => ({ id, latencyMs: base + i * step, jitterMs }));
const ids3 = ['node-0', 'node-1', 'node-2'];

const BUILT_INS: Record<string, BuiltIn> = {
  smoke: {
    summary: 'quick end-to-end check: one provider partitioned for a fifth of the run, 2 newHeads + 1 logs subscribers',
    defaultDurationMs: MIN,
    defaultRate: 50,
    build: ({ durationMs }) => ({
      title: 'Smoke: one of three providers partitioned',
      description:
        'Three providers a few ms away, the classic read mix, two newHeads and one logs subscriber. The nearest provider, ' +
        'the one serving the traffic, is partitioned (connections refused, sockets dropped) for a fifth of the run and then healed. Breaker recovery is ' +
        'shortened to 2 s so that a short run sees the whole open -> closed cycle when requests keep reaching it long enough to open it.',
      providers: remote(ids3, 3, 1, 4),
      lasso: { chain: { breaker: { recoveryMs: 2000 } } },
      workload: { rate: 50, mix, timeoutMs: 10_000 },
      blockTimeMs: 1000,
      subscriptions: [{ kind: 'newHeads', count: 2 }, { kind: 'logs' }],
      chaos: [{ at: Math.round(durationMs * 0.3), action: 'partition', target: 'node-0', durationMs: Math.max(500, Math.round(durationMs * 0.2)) }],
      slos: { successRatio: 0.99, p50Ms: 50, p95Ms: 250, p99Ms: 1000, wsDeliveryRatio: 1, duplicateRatio: 0, maxGapBlocks: 0, failoverMs: 2000, breakerOpenMs: 2000, recoveryMs: 15_000 },
    }),
  },
  flapping: {
    summary: 'the classic: 3 providers, one flapping (down 30 s every 3 min), 10 newHeads + 5 logs subscribers',
    defaultDurationMs: 30 * MIN,
    defaultRate: 50,
    build: ({ durationMs }) => {
      // Every 3 minutes, scaled down for short runs so that there are always a few flaps.
      const periodMs = Math.min(3 * MIN, Math.max(3000, Math.round(durationMs / 3)));
      const downMs = Math.round(periodMs / 6);
      const firstAt = Math.round(periodMs / 6);
      return {
        title: 'Flapping provider',
        description:
          `Three providers 20 / 30 / 40 ms away (plus 0–10 ms random jitter). node-1 goes down (connections refused, sockets dropped) for ` +
          `${Math.round(downMs / 1000)} s every ${Math.round(periodMs / 1000)} s, for the whole run. Workload: the classic read mix ` +
          '(eth_getBalance 40% / eth_getBlockByNumber 20% / eth_call 15% / eth_blockNumber 15% / eth_getLogs 10%), 10 newHeads and 5 logs WebSocket subscribers.',
        providers: remote(ids3, 20, 10, 10),
        workload: { rate: 50, mix, timeoutMs: 10_000 },
        blockTimeMs: 1000,
        subscriptions: [
          { kind: 'newHeads', count: 10 },
          { kind: 'logs', count: 5 },
        ],
        chaos: [{ at: firstAt, action: 'flap', target: 'node-1', durationMs: Math.max(1, durationMs - firstAt), downMs, upMs: periodMs - downMs }],
        slos: { successRatio: 0.999, p50Ms: 100, p95Ms: 200, p99Ms: 500, wsDeliveryRatio: 1, duplicateRatio: 0, maxGapBlocks: 0, failoverMs: 2000, breakerOpenMs: 2000, recoveryMs: 60_000 },
      };
    },
  },
  partition: {
    summary: 'one provider cut off for 40% of the run, then two of three at once',
    defaultDurationMs: 5 * MIN,
    defaultRate: 50,
    build: ({ durationMs }) => ({
      title: 'Network partition',
      description:
        'Three providers 20 / 30 / 40 ms away. node-0 is unreachable (connections refused, open sockets dropped) from 20% to 60% ' +
        'of the run; then node-1 and node-2 are both cut off from 70% to 80%, leaving node-0 alone. 5 newHeads and 2 logs subscribers.',
      providers: remote(ids3, 20, 10, 10),
      workload: { rate: 50, mix, timeoutMs: 10_000 },
      blockTimeMs: 1000,
      subscriptions: [
        { kind: 'newHeads', count: 5 },
        { kind: 'logs', count: 2 },
      ],
      chaos: [
        { at: Math.round(durationMs * 0.2), action: 'partition', target: 'node-0', durationMs: Math.round(durationMs * 0.4) },
        { at: Math.round(durationMs * 0.7), action: 'partition', target: ['node-1', 'node-2'], durationMs: Math.round(durationMs * 0.1) },
      ],
      slos: { successRatio: 0.999, p95Ms: 250, p99Ms: 1000, wsDeliveryRatio: 1, duplicateRatio: 0, maxGapBlocks: 0, failoverMs: 3000, breakerOpenMs: 3000, recoveryMs: 90_000 },
    }),
  },
  'rate-limited': {
    summary: 'providers answer 429 / -32005 to part of the traffic; Lasso cools them down and routes around',
    defaultDurationMs: 5 * MIN,
    defaultRate: 50,
    build: ({ durationMs }) => ({
      title: 'Rate-limited providers',
      description:
        'Three providers 20 / 30 / 40 ms away. node-0 answers HTTP 429 (Retry-After: 2) to half of its requests from 20% to 70% of ' +
        'the run; node-1 answers JSON-RPC -32005 "limit exceeded" to 30% of its requests from 40% to 60%. Rate limits cool a ' +
        'channel down instead of opening its breaker.',
      providers: remote(ids3, 20, 10, 10),
      workload: { rate: 50, mix, timeoutMs: 10_000 },
      blockTimeMs: 1000,
      subscriptions: [{ kind: 'newHeads', count: 3 }],
      chaos: [
        {
          at: Math.round(durationMs * 0.2),
          action: 'fault',
          target: 'node-0',
          durationMs: Math.round(durationMs * 0.5),
          fault: { type: 'http_status', status: 429, retryAfterSeconds: 2, probability: 0.5 },
        },
        {
          at: Math.round(durationMs * 0.4),
          action: 'fault',
          target: 'node-1',
          durationMs: Math.round(durationMs * 0.2),
          fault: { type: 'rpc_error', code: -32005, message: 'limit exceeded', probability: 0.3, transport: 'http' },
        },
      ],
      slos: { successRatio: 0.999, p95Ms: 250, p99Ms: 1000, wsDeliveryRatio: 1, duplicateRatio: 0, maxGapBlocks: 0, failoverMs: 3000 },
    }),
  },
  soak: {
    summary: 'long run sampling heap, RSS, event-loop delay, handles, fds, sockets, WebSocket state; fails on a leak projected over 48 h',
    defaultDurationMs: 30 * MIN,
    defaultRate: 50,
    build: ({ durationMs }) => {
      const periodMs = Math.min(5 * MIN, Math.max(4000, Math.round(durationMs / 4)));
      return {
        title: 'Soak',
        description:
          'Three providers 20 / 30 / 40 ms away, the classic read mix, 10 newHeads and 5 logs subscribers; node-2 is cut off for ' +
          `${Math.round(periodMs / 15000)} s every ${Math.round(periodMs / 1000)} s so that reconnects and failovers happen over and over. ` +
          "Lasso runs in a process of its own; that process's heap, RSS, event-loop delay, active handles, file descriptors, sockets to the providers, client " +
          'WebSocket connections and subscriptions are sampled every 5 s; the run fails when one of them grows past its bound, or ' +
          'when its fitted slope would grow past its 48-hour bound (an extrapolation for a shorter run).',
        providers: remote(ids3, 20, 10, 10),
        workload: { rate: 50, mix, timeoutMs: 10_000 },
        blockTimeMs: 1000,
        subscriptions: [
          { kind: 'newHeads', count: 10 },
          { kind: 'logs', count: 5 },
        ],
        chaos: [{ at: Math.round(periodMs / 2), action: 'flap', target: 'node-2', durationMs: Math.max(1, durationMs - Math.round(periodMs / 2)), downMs: Math.round(periodMs / 15), upMs: periodMs - Math.round(periodMs / 15) }],
        slos: { successRatio: 0.999, p95Ms: 250, p99Ms: 1000, wsDeliveryRatio: 1, duplicateRatio: 0, maxGapBlocks: 0 },
        soak: { intervalMs: 5000, maxGrowth: { heapMb: 48, rssMb: 96, handles: 64, sockets: 64, subscriptions: 0 } },
      };
    },
  },
  tail: {
    summary: 'tail timeline: one provider hangs 10 s, another is down 10 s, a third flaps for 15 s; 30 req/s for 60 s',
    defaultDurationMs: MIN,
    defaultRate: 30,
    build: ({ durationMs }) => {
      const s = durationMs / MIN;
      const at = (ms: number) => Math.round(ms * s);
      const timeline: ChaosEntry[] = [
        { at: at(10_000), action: 'fault', target: 'node-0', durationMs: at(10_000), fault: { type: 'hang' }, label: 'node-0 hangs (accepts, never answers)' },
        { at: at(25_000), action: 'partition', target: 'node-1', durationMs: at(10_000), label: 'node-1 down (refused, sockets dropped)' },
        { at: at(40_000), action: 'flap', target: 'node-2', durationMs: at(15_000), downMs: at(2500), upMs: at(2500), label: 'node-2 flaps (2.5 s down / 2.5 s up)' },
      ];
      return {
        title: 'Tail latency under faults',
        description:
          'Three providers 5 ms away (plus 0–5 ms random jitter). node-0 hangs for 10 s (requests accepted, never answered), then node-1 is down ' +
          'for 10 s, then node-2 flaps for 15 s. 30 req/s of the classic read mix for 60 s, one newHeads subscriber.',
        providers: remote(ids3, 5, 0, 5),
        workload: { rate: 30, mix, timeoutMs: 35_000 },
        blockTimeMs: 1000,
        subscriptions: [{ kind: 'newHeads' }],
        chaos: timeline,
        slos: { successRatio: 1, p95Ms: 100, p99Ms: 250, wsDeliveryRatio: 1, duplicateRatio: 0, maxGapBlocks: 0, failoverMs: 2000, breakerOpenMs: 2000 },
      };
    },
  },
  consistency: {
    summary: 'providers that disagree: one 2 blocks behind, one lying about its head (+1000), a 2-block reorg; counts backwards, stale and bogus reads (all 0)',
    defaultDurationMs: 2 * MIN,
    defaultRate: 30,
    build: ({ durationMs }) => ({
      title: 'Consistency: a lagging provider, a liar and a reorg',
      description:
        'Three providers 3 / 4 / 5 ms away. node-2 really receives every block 2 blocks late (inside the default lag allowance); ' +
        'node-1 answers eth_blockNumber with its real head + 1000 for the whole run (all else true); at half time the chain reorganises ' +
        '2 blocks deep. Beside the classic read mix and one newHeads subscriber, a probe client reads eth_blockNumber and the latest ' +
        'block in a loop and sends a transfer every 2 s, waits for its receipt and reads the balance and nonce, all through Lasso, ' +
        "and counts against the devnet's canonical chain: heads going backwards, latest blocks older than a head already returned, " +
        'heads above the real one, stale reads right after a receipt, and how far behind the real head the answers are. ' +
        "Lasso's response cache is on, as it is by default: cached answers must not serve an older chain either.",
      providers: [
        { id: 'node-0', latencyMs: 3, jitterMs: 2 },
        { id: 'node-1', latencyMs: 4, jitterMs: 2, faults: [{ type: 'rewrite_result', methods: ['eth_blockNumber'], addHex: 1000, label: 'claims a head 1000 blocks ahead' }] },
        { id: 'node-2', latencyMs: 5, jitterMs: 2, lagBlocks: 2 },
      ],
      lasso: { chain: { cache: { enabled: true } } },
      workload: { rate: 30, mix, timeoutMs: 10_000 },
      blockTimeMs: 1000,
      subscriptions: [{ kind: 'newHeads' }],
      chaos: [{ at: Math.round(durationMs * 0.5), action: 'reorg', depth: 2, label: '2-block reorg' }],
      slos: { successRatio: 0.999, headsBackwards: 0, olderLatest: 0, bogusHeads: 0, staleAfterReceipt: 0, stalenessP99Blocks: 1, wsDeliveryRatio: 1, duplicateRatio: 0 },
    }),
  },
  reorgs: {
    summary: 'reorgs of depth 2–3 every 60–90 s with the response cache on; a probe counts answers from orphaned blocks (0 allowed)',
    defaultDurationMs: 5 * MIN,
    defaultRate: 30,
    build: ({ durationMs }) => ({
      title: 'Reorgs with the response cache on',
      description:
        'Three providers 3 / 4 / 5 ms away, Lasso\'s response cache on (as by default). The chain reorganises 2 or 3 blocks deep every ' +
        '60–90 s (scaled down for runs shorter than 5 minutes). Beside the classic read mix and one newHeads subscriber, a probe ' +
        'client reads through Lasso, one request at a time, what the cache stores: blocks 0–8 below the head and one 40 below, by ' +
        'number and by hash, balances and nonces at those numbers of accounts that move in every block, eth_getLogs over 3-block ' +
        'ranges, and the receipts of its own transfers. An answer is stale when it carries a block or log that the devnet had ' +
        'orphaned before the request was sent, or a balance or nonce that differs from the value a devnet node gives for the ' +
        'canonical block at that number; answers to requests sent while a reorg was under way are counted apart as raced.',
      providers: remote(ids3, 3, 1, 2),
      lasso: { chain: { cache: { enabled: true } } },
      workload: { rate: 30, mix, timeoutMs: 10_000 },
      blockTimeMs: 1000,
      subscriptions: [{ kind: 'newHeads' }],
      chaos: reorgTimeline(durationMs),
      slos: { successRatio: 0.999, headsBackwards: 0, olderLatest: 0, bogusHeads: 0, staleAfterReceipt: 0, staleAnswers: 0, wsDeliveryRatio: 1, duplicateRatio: 0 },
    }),
  },
};

/**
 * Reorgs 60–90 s apart, 2 and 3 blocks deep in turn, the first after 40 s; a run shorter than 5
 * minutes scales the times down so that it still sees four. The last 15 s (scaled) stay calm so
 * that the answers after the last reorg are checked too.
 */
function reorgTimeline(durationMs: number): ChaosEntry[] {
  const scale = Math.min(1, durationMs / (5 * MIN));
  const gapsMs = [70_000, 85_000, 60_000, 90_000, 75_000];
  const out: ChaosEntry[] = [];
  for (let at = 40_000 * scale, i = 0; at <= durationMs - 15_000 * scale; at += gapsMs[i % gapsMs.length]! * scale, i++) {
    const depth = i % 2 === 0 ? 2 : 3;
    out.push({ at: Math.round(at), action: 'reorg', depth, label: `${depth}-block reorg` });
  }
  return out;
}

/** Names and one-line summaries of the built-in scenarios. */
export function builtInScenarios(): { name: string; summary: string; defaultDurationMs: number; defaultRate: number }[] {
  return Object.entries(BUILT_INS).map(([name, b]) => ({ name, summary: b.summary, defaultDurationMs: b.defaultDurationMs, defaultRate: b.defaultRate }));
}

/**
 * A built-in scenario, with the command line's overrides applied. Chaos times of built-ins are
 * fractions of the duration, so a shorter `--duration` keeps the same shape.
 */
export function builtInScenario(name: string, overrides: ScenarioOverrides = {}): BattleScenario {
  const b = BUILT_INS[name];
  if (!b) throw new BattleUsageError(`unknown scenario "${name}"; built-in scenarios: ${Object.keys(BUILT_INS).join(', ')}`);
  const durationMs = overrides.durationMs ?? b.defaultDurationMs;
  const rate = overrides.rate ?? b.defaultRate;
  const seed = overrides.seed ?? DEFAULT_SEED;
  const built = b.build({ durationMs, rate, seed });
  return { ...built, name, source: 'builtin', seed, durationMs, workload: { ...built.workload, rate } };
}
