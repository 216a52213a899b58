import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from '../chaos/scenario/index.js';
import { CAPACITY_RESULT_SCHEMA } from './capacity.js';
import type { CapacityResult } from './capacity.js';
import { comparisonTable, markdownTable, sloTable } from './report/tables.js';
import { BATTLE_RESULT_SCHEMA } from './result-types.js';
import { builtInScenario } from './scenarios.js';
import type { BattleResult } from './result-types.js';
import { formatDuration, formatMs, formatPct } from './units.js';

/** Inputs of the validation report: committed result files of real runs. */
export interface ValidationSources {
  /** Battle results (`lasso.battle-result`), e.g. docs/results/*.json. */
  battles: { file: string; result: BattleResult }[];
  /** Scenario-suite results (`lasso.scenario-result`), e.g. docs/scenarios/results/*.json. */
  scenarios: { file: string; result: ScenarioResult }[];
  /** `npm run bench:overhead` JSON line, when committed (docs/results/bench-overhead.json). */
  overhead?: { file: string; data: OverheadBench };
  /** `npm run bench:ws` JSON line, when committed (docs/results/bench-ws.json). */
  wsFanOut?: { file: string; data: WsBench };
  /** `npm run bench:capacity` results (`lasso.capacity-result`), e.g. docs/results/*-capacity.json. */
  capacity?: { file: string; result: CapacityResult }[];
}

interface OverheadBench {
  bench: 'overhead';
  summary: Record<string, { throughput: number; p50Ms: number; p99Ms: number; cpuMicrosPerRequest?: number }>;
  ratio: number;
  /** Lasso / pass-through throughput of each round (the ratio is their median). */
  roundRatios?: number[];
}

interface WsBench {
  bench: 'ws';
  generator?: { commit?: string };
  fanOut: { mode: string; subscribers: number; p99Ms: number; ownP50Ms: number }[];
}

/** Reads every result file under the given directories (files that are not results are skipped). */
export async function loadValidationSources(root: string): Promise<ValidationSources> {
  const battles: ValidationSources['battles'] = [];
  const scenarios: ValidationSources['scenarios'] = [];
  let overhead: ValidationSources['overhead'];
  let wsFanOut: ValidationSources['wsFanOut'];
  const capacity: NonNullable<ValidationSources['capacity']> = [];
  for (const dir of ['docs/results', 'docs/scenarios/results']) {
    const abs = join(root, dir);
    if (!existsSync(abs)) continue;
    for (const name of (await readdir(abs)).filter((f) => f.endsWith('.json')).sort()) {
      const file = join(dir, name);
      let data: { schema?: string; bench?: string };
      try {
        data = JSON.parse(await readFile(join(root, file), 'utf8')) as typeof data;
      } catch {
        continue;
      }
      if (data.schema === BATTLE_RESULT_SCHEMA) battles.push({ file, result: data as unknown as BattleResult });
      else if (data.schema === 'lasso.scenario-result') scenarios.push({ file, result: data as unknown as ScenarioResult });
      else if (data.schema === CAPACITY_RESULT_SCHEMA) capacity.push({ file, result: data as unknown as CapacityResult });
      else if (data.bench === 'overhead') overhead = { file, data: data as unknown as OverheadBench };
      else if (data.bench === 'ws') wsFanOut = { file, data: data as unknown as WsBench };
    }
  }
  battles.sort((a, b) => a.result.startedAt.localeCompare(b.result.startedAt));
  capacity.sort((a, b) => a.result.startedAt.localeCompare(b.result.startedAt));
  return { battles, scenarios, capacity, ...(overhead && { overhead }), ...(wsFanOut && { wsFanOut }) };
}

/**
 * A run anyone can reproduce: made from a commit with no uncommitted changes. Older results carry
 * only the commit, with `-dirty` when the tree had changes.
 */
export function isReproducible(r: BattleResult): boolean {
  const { commit, clean } = r.generator;
  return commit !== undefined && (clean ?? !commit.endsWith('-dirty'));
}

/**
 * A built-in scenario's title as the code words it now: older result files keep the wording of
 * their day, which the report should not carry forward.
 */
function scenarioTitle(r: BattleResult): string {
  if (r.scenario.source !== 'builtin') return r.scenario.title;
  try {
    return builtInScenario(r.scenario.name).title;
  } catch {
    return r.scenario.title; // a built-in since removed
  }
}

/** The bar the committed 30-minute flapping runs must meet. */
const FLAPPING_BAR = { minDurationMs: 30 * 60_000, successRatio: 0.999, p95Ms: 200, wsDeliveryRatio: 1, duplicates: 0 };

/** Shortest soak whose leak verdict counts as evidence. */
const SOAK_BAR_MS = 60 * 60_000;

function meetsFlappingBar(r: BattleResult): boolean {
  const t = r.lasso.totals;
  return (
    t.answeredRatio >= FLAPPING_BAR.successRatio &&
    t.latencyMs.p95 <= FLAPPING_BAR.p95Ms &&
    (r.subscriptions.deliveryRatio ?? 0) >= FLAPPING_BAR.wsDeliveryRatio &&
    r.subscriptions.duplicates === FLAPPING_BAR.duplicates
  );
}

/** The soak's leak verdict: each resource's fitted growth, projected over 48 hours (an extrapolation). */
function soakEvidence(r: BattleResult): string[] {
  const soak = r.soak!;
  const failed = soak.growth.filter((g) => !g.passed);
  const lines = [
    `- Soak ${r.id}: ${formatDuration(r.scenario.durationMs)} at ${r.scenario.rate} req/s, ${soak.samples.length} samples of Lasso's own process; ` +
      `leak verdict **${soak.tooShort ? 'not judged (too few samples)' : failed.length === 0 ? 'no leak' : `growth in ${failed.map((g) => g.resource).join(', ')}`}** ` +
      `(${r.verdict.passed ? 'every SLO passed' : `failed: ${r.verdict.failed.join(', ')}`}). ` +
      `The 48-hour figures extrapolate the fitted slope of this run; no 48-hour run was made.`,
    '',
    markdownTable({
      header: ['resource', 'first quarter', 'last quarter', 'slope / hour', 'projected over 48 h', 'bound over 48 h', 'verdict'],
      rows: soak.growth.map((g) => [g.resource, round(g.first), round(g.last), round(g.slopePerHour), round(g.projected48h), g.max48h === undefined ? '—' : round(g.max48h), g.passed ? 'pass' : 'FAIL']),
    }),
    '',
  ];
  return lines;
}

function round(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(3);
}

/** Renders docs/VALIDATION_REPORT.md from the sources. Pure: same sources, same text. */
export function renderValidationReport(s: ValidationSources): string {
  const out: string[] = [];
  out.push('# Lasso validation report');
  out.push('');
  out.push('Generated by `npm run docs:validation` from the committed result files of real runs on this machine; do not edit by hand.');
  out.push('Each battle result has its Markdown and HTML next to it (same name) when they were committed; `npx lasso battle` writes all three.');
  out.push('');

  out.push('## Battle runs', '');
  if (s.battles.length === 0) out.push('No battle result is committed yet (`docs/results/*.json`).');
  else {
    out.push(
      markdownTable({
        header: ['run', 'scenario', 'duration', 'rate', 'requests', 'success', 'p50', 'p95', 'p99', 'WS delivery', 'duplicates', 'worst failover', 'SLOs', 'commit', 'machine'],
        rows: s.battles.map(({ file, result: r }) => {
          const t = r.lasso.totals;
          const worst = Math.max(-1, ...r.faults.episodes.map((e) => e.failoverMs ?? Infinity));
          return [
            `[${r.id}](${relative('docs', file)})`,
            r.scenario.name + (r.options.compare ? ' (compare)' : ''),
            formatDuration(r.scenario.durationMs),
            `${r.scenario.rate}/s`,
            String(t.requests),
            formatPct(t.answeredRatio, 3),
            formatMs(t.latencyMs.p50),
            formatMs(t.latencyMs.p95),
            formatMs(t.latencyMs.p99),
            r.subscriptions.deliveryRatio === null ? '—' : formatPct(r.subscriptions.deliveryRatio, 2),
            r.subscriptions.subscribers === 0 ? '—' : String(r.subscriptions.duplicates),
            worst < 0 ? '—' : worst === Infinity ? 'not settled' : formatMs(worst),
            `${r.slos.filter((x) => x.passed).length}/${r.slos.length} ${r.verdict.passed ? 'PASS' : 'FAIL'}`,
            isReproducible(r) ? `\`${r.generator.commit}\`` : `**${r.generator.commit ?? 'unknown'}: not reproducible**`,
            `${r.environment.cpus} × ${r.environment.cpuModel}`,
          ];
        }),
      }),
    );
    const untraceable = s.battles.filter((b) => !isReproducible(b.result));
    out.push(
      '',
      untraceable.length === 0
        ? 'Every run above was made from a clean commit (no uncommitted changes): check out its commit and re-run it with the same seed.'
        : `**Not reproducible**: ${untraceable.map((b) => b.result.id).join(', ')} ${untraceable.length === 1 ? 'was' : 'were'} made from a tree with uncommitted changes (or outside git), so no commit holds the code that ran; re-run from a clean checkout before relying on ${untraceable.length === 1 ? 'it' : 'them'}.`,
    );
  }

  out.push('', '## Required evidence', '');
  const flappingRuns = s.battles.filter((b) => b.result.scenario.name === 'flapping' && !b.result.options.compare && b.result.scenario.durationMs >= FLAPPING_BAR.minDurationMs);
  if (flappingRuns.length === 0) out.push('- 30-minute `flapping` runs: **not committed yet** (`npx lasso battle --scenario flapping --seed N --out docs/results`).');
  else {
    const meeting = flappingRuns.filter((b) => meetsFlappingBar(b.result));
    const seeds = new Set(flappingRuns.map((b) => b.result.scenario.seed));
    out.push(
      `- 30-minute \`flapping\` runs: ${meeting.length} of ${flappingRuns.length} (${seeds.size} seed${seeds.size === 1 ? '' : 's'}) meet the bar ` +
        '(success ≥ 99.9%, p95 ≤ 200 ms, WS delivery 100%, 0 duplicates):',
    );
    for (const { result: r } of flappingRuns) {
      const t = r.lasso.totals;
      out.push(
        `  - ${r.id} (seed ${r.scenario.seed}): ${meetsFlappingBar(r) ? '**meets**' : '**does not meet**'} the bar: ` +
          `success ${formatPct(t.answeredRatio, 3)} over ${t.requests} requests, p95 ${formatMs(t.latencyMs.p95)}, WS delivery ${formatPct(r.subscriptions.deliveryRatio, 3)} ` +
          `(${r.subscriptions.delivered}/${r.subscriptions.expected}), ${r.subscriptions.duplicates} duplicates, ${r.faults.episodes.length} flaps.`,
      );
    }
  }
  const soak = s.battles.filter((b) => b.result.soak && b.result.scenario.durationMs >= SOAK_BAR_MS).at(-1);
  if (!soak) out.push('- Soak of at least 60 minutes: **not committed yet** (`npx lasso battle --scenario soak --duration 62m --out docs/results`).');
  else out.push(...soakEvidence(soak.result));
  const compares = s.battles.filter((b) => b.result.comparison);
  if (compares.length === 0) out.push('- `--compare` run: **not committed yet** (`lasso battle --scenario tail --compare`, then copy the files to docs/results).');
  for (const { result: r } of compares) out.push(`- \`--compare\` run ${r.id} (${r.scenario.name}): ${r.comparison!.note}`);

  for (const { file, result: r } of s.battles) {
    out.push('', `## ${scenarioTitle(r)} — ${r.id}`, '');
    out.push(`${r.scenario.description}`);
    out.push('', `Seed ${r.scenario.seed}, ${r.scenario.rate} req/s for ${formatDuration(r.scenario.durationMs)}, started ${r.startedAt}, ${r.generator.name} ${r.generator.version}${r.generator.commit ? ` (${r.generator.commit})` : ''}${isReproducible(r) ? '' : ' — **not reproducible**: made from uncommitted changes'}. Source: [${file}](${relative('docs', file)}).`);
    out.push('', markdownTable(sloTable(r)));
    const cmp = comparisonTable(r);
    if (cmp && r.comparison) {
      out.push('', 'Side by side (same seed, workload and chaos timeline; each arm on a fresh cluster):', '', markdownTable(cmp), '', r.comparison.note);
      const failures = r.comparison.arms.filter((a) => a.topFailures?.length);
      for (const a of failures) out.push(`- ${a.title} failures: ${a.topFailures.map((f) => `${f.count} × ${f.detail}`).join('; ')}`);
    }
  }

  if (s.scenarios.length > 0) {
    out.push('', '## Scenario suite', '');
    out.push('Results of `test/integration/scenarios` runs committed under docs/scenarios/results.', '');
    out.push(
      markdownTable({
        header: ['scenario', 'requests', 'success', 'p95', 'p99', 'checks', 'result'],
        rows: s.scenarios.map(({ result: r }) => [
          r.title ?? r.name,
          String(r.totals.requests),
          formatPct(r.totals.answeredRatio, 2),
          formatMs(r.totals.latencyMs.p95),
          formatMs(r.totals.latencyMs.p99),
          `${r.checks.filter((c) => c.passed).length}/${r.checks.length}`,
          r.passed ? 'pass' : 'FAIL',
        ]),
      }),
    );
  }

  out.push('', '## Known limits', '');
  if (s.overhead) {
    const rows = Object.entries(s.overhead.data.summary).map(([arm, v]) => [arm, String(Math.round(v.throughput)), formatMs(v.p50Ms), formatMs(v.p99Ms), v.cpuMicrosPerRequest === undefined ? '—' : `${v.cpuMicrosPerRequest.toFixed(1)} µs`]);
    const rounds = s.overhead.data.roundRatios;
    const spread = rounds && rounds.length > 1 ? `, the median of ${rounds.length} rounds (per round from ${Math.min(...rounds)} to ${Math.max(...rounds)})` : '';
    out.push(`Throughput of one Lasso process (\`npm run bench:overhead\`, [${s.overhead.file}](${relative('docs', s.overhead.file)})); Lasso / pass-through ratio ${s.overhead.data.ratio}${spread}:`, '', markdownTable({ header: ['arm', 'req/s', 'p50', 'p99', 'CPU / request'], rows }), '');
  } else {
    out.push('- Throughput of one process: no `bench:overhead` result is committed (docs/results/bench-overhead.json, the JSON line the bench prints last).');
  }
  const capacity = s.capacity?.at(-1);
  if (!capacity) out.push('- Maximum sustained throughput at SLO: no capacity run is committed (`npm run bench:capacity -- --out docs/results`).');
  else {
    const c = capacity.result;
    out.push(
      `- Maximum sustained throughput at SLO (\`npm run bench:capacity\`, [${capacity.file}](${relative('docs', capacity.file)}), commit \`${c.generator.commit ?? 'unknown'}\`): ` +
        `**${c.maxThroughputAtSlo} req/s** served at an offered ${c.maxRateAtSlo} req/s of the read mix, ` +
        (c.pinning ? `Lasso pinned to CPU ${c.pinning.lasso}, load and devnet on CPU ${c.pinning.load}; ` : 'without CPU pinning; ') +
        `SLO per ${c.setup.stepMs / 1000} s step: answered ≥ ${formatPct(c.slo.answeredRatio, 1)}, p99 ≤ ${c.slo.p99Ms} ms; limited by ${c.limitedBy === 'not reached' ? 'nothing up to the last step' : c.limitedBy === 'lasso' ? "Lasso's core" : 'the load side'}.`,
    );
  }
  if (s.wsFanOut) out.push(wsFanOutLimit(s.wsFanOut));
  const episodes = s.battles.flatMap((b) => b.result.faults.episodes);
  const worst = (get: (e: (typeof episodes)[number]) => number | null) => {
    const v = episodes.map(get).filter((x): x is number => x !== null);
    return v.length === 0 ? '—' : formatMs(Math.max(...v));
  };
  out.push(
    `- Failover, measured over the ${episodes.length} fault episodes of the battle runs above: worst failover ${worst((e) => e.failoverMs)} ` +
      `(onset to the last disturbed request before 1 s of clean traffic), worst breaker opening ${worst((e) => (e.breakerExpected ? e.breakerOpenMs : null))}, ` +
      `worst recovery after repair ${worst((e) => (e.recovery === 'closed' ? e.recoveryMs : null))}.`,
  );
  out.push(
    '- Failover latency bounds by design: a request caught on a dead or hung provider waits at most its attempt timeout (adaptive per (provider, method), ' +
      'bounded by the per-method table: 1 s for eth_blockNumber, 2 s for eth_getBalance, 5 s for eth_getLogs) before the next attempt, or the hedge delay ' +
      '(20–500 ms) when hedging is on; breakers open after 2 timeouts / 3 network failures / 5 other failures and stay open at least 10 s (doubling on each reopen, up to 5 min).',
  );
  out.push('- Breaker recovery is slow by design: after a repair a provider gets traffic again only after its open period (10 s, then 20 s, 40 s... while it keeps failing); flapping providers stay out longer.');
  out.push('- Every number here comes from a local devnet behind fault proxies on one 2-core machine: proxies add the configured latency, not real network variance.');
  out.push('', '## Failure modes seen', '');
  out.push(
    "- Lasso's `latency-weighted` strategy keeps sending a share of the traffic to slower providers so that their evidence stays fresh (about 30% with providers " +
      '20 / 30 / 40 ms away); in the flapping and partition comparisons run with it, its p95 / p99 sat about 10 ms above a client that always uses the fastest one. ' +
      'The `best` strategy (the default) sends users to the best provider and learns about the others from its head polls; use `latency-weighted` when spreading load matters more than tail latency.',
  );
  out.push(
    '- Lasso: the breaker of a failing provider opens after a few failed attempts, so it takes longer to open when that provider gets little traffic ' +
      '(up to about a second in the flapping run); the requests caught meanwhile fail over and are not lost.',
  );
  out.push('- Client-side viem (`fallback` and pinned): a newHeads subscription on a hung provider delivers late (viem fetches each block over the same socket), and `webSocket` gives up after 5 reconnects (2 s apart), so an outage longer than ~10 s ends the subscription for good.');
  out.push(
    '- ethers `FallbackProvider` (defaults, quorum 2 of 3): a provider whose block-number sync once failed with a fatal error (connection refused) is never used ' +
      'again (ethers never clears `_lastFatalError`), so after two of three providers had an outage every call that needs quorum fails ' +
      '(`INVALID_ARGUMENT: invalid numeric value` from getBlockNumber, `quorum not met`); p95 sits at the 400 ms stall timeout whenever one provider hangs; ' +
      "`on('block')` announces each head one block early.",
  );
  out.push('');
  return out.join('\n');
}

/** `npm run docs:validation`: regenerates docs/VALIDATION_REPORT.md in the repository. */
export async function main(root = resolve(fileURLToPath(new URL('../..', import.meta.url)))): Promise<string> {
  const sources = await loadValidationSources(root);
  const file = join(root, 'docs/VALIDATION_REPORT.md');
  await writeFile(file, renderValidationReport(sources));
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (file) => process.stdout.write(`wrote ${file}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** The newHeads fan-out figures, each next to the plain `ws` broadcast server of the same run. */
function wsFanOutLimit({ file, data }: NonNullable<ValidationSources['wsFanOut']>): string {
  const of = (mode: string, n: number) => data.fanOut.find((r) => r.mode === mode && r.subscribers === n);
  const sizes = [...new Set(data.fanOut.map((r) => r.subscribers))].sort((a, b) => a - b);
  const parts = sizes.flatMap((n) => {
    const lasso = of('engine', n) ?? of('front', n);
    if (lasso === undefined) return [];
    const bare = of('bare', n);
    return [`${n.toLocaleString('en-US')} subscribers p99 ${formatMs(lasso.p99Ms)}` + (bare ? ` (a plain \`ws\` broadcast server: ${formatMs(bare.p99Ms)})` : '')];
  });
  const commit = data.generator?.commit === undefined ? '' : `, commit \`${data.generator.commit}\``;
  return `- newHeads fan-out from one process, one connection per subscriber, clients in a second process (\`npm run bench:ws\`, [${file}](${relative('docs', file)})${commit}): ${parts.join('; ')}. Each socket costs the server one write to the kernel: this bounds any single Node process, not only Lasso.`;
}
