import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ScenarioConfigError, ScenarioSetupError } from '../chaos/scenario/index.js';
import type { ScenarioCluster } from '../chaos/scenario/index.js';
import { WorkloadConfigError } from '../chaos/workload/index.js';
import { ARM_IDS } from './arms/index.js';
import type { ArmId } from './arms/index.js';
import { loadBaseline } from './baseline.js';
import { BaselineError, BattleUsageError, ScenarioFileError } from './errors.js';
import { writeReports } from './report/write.js';
import type { BattleResult } from './result-types.js';
import { runBattle } from './runner.js';
import { loadScenarioFile } from './scenario-file.js';
import { builtInScenario, builtInScenarios } from './scenarios.js';
import type { BattleScenario, ScenarioOverrides } from './scenario-types.js';
import { summaryText } from './summary.js';
import { formatDuration, parseDuration, parseRate } from './units.js';
import { errorMessage } from '../error-message.js';

export const BATTLE_USAGE = `Usage: lasso battle [--scenario NAME | --file scenario.yaml] [options]

Runs a devnet, one fault proxy per provider and Lasso, drives an open-model workload while a chaos
timeline plays, judges the scenario's SLOs and writes JSON, Markdown and HTML reports.

Options:
  --scenario NAME     built-in scenario (default: smoke); --list shows them
  --file FILE         scenario file (YAML), see docs/battle-report-schema.md
  --duration D        workload duration, e.g. 10s, 30m (default: the scenario's)
  --rate R            requests per second, e.g. 50/s (default: the scenario's)
  --seed N            seed of every random choice (default: the scenario's)
  --out DIR           report directory (default: ./battle-results)
  --compare           also run a pinned client, viem fallback (rank) and ethers FallbackProvider
                      on the same workload and chaos, and add a comparison table
  --arms LIST         arms of --compare, comma separated (${ARM_IDS.join(', ')})
  --baseline FILE     compare with an earlier JSON result; regressions fail the run
  --tolerance PCT     baseline tolerance (default: 10%)
  --quiet             no progress lines
  --dashboard         print the URL of Lasso's live dashboard, to watch the chaos timeline play
  --lasso-child       run Lasso in a process of its own, apart from the workload (a soak always does)
  --list              list the built-in scenarios and exit

Exit code: 0 every SLO passed, 1 an SLO failed (or a baseline regression), 2 usage or setup error.
`;

export interface BattleIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const defaultIo: BattleIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/**
 * `lasso battle`: parses the arguments, runs, writes the reports, prints the summary. Returns the
 * exit code (0 pass, 1 SLO failed, 2 usage or setup error); never throws.
 */
export async function battleCommand(args: string[], io: BattleIo = defaultIo): Promise<number> {
  let cluster: ScenarioCluster | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    io.stderr(`\n${signal}: stopping, tearing the cluster down\n`);
    const code = signal === 'SIGINT' ? 130 : 143;
    void (cluster?.close() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const parsed = await parseCommandLine(args);
    if (parsed.kind === 'help') {
      io.stdout(BATTLE_USAGE);
      return 0;
    }
    if (parsed.kind === 'list') {
      for (const s of builtInScenarios()) io.stdout(`${s.name.padEnd(14)} ${formatDuration(s.defaultDurationMs).padStart(10)}  ${String(s.defaultRate).padStart(3)} req/s  ${s.summary}\n`);
      return 0;
    }
    const { scenario, options } = parsed;
    const baseline = options.baseline ? { file: options.baseline, result: await loadBaseline(options.baseline) } : undefined;
    io.stderr(`battle ${scenario.name}: ${scenario.title}\n`);
    const result = await runBattle({
      scenario,
      compare: options.compare,
      ...(options.arms && { arms: options.arms }),
      ...(baseline && { baseline }),
      tolerance: options.tolerance,
      onLine: options.quiet ? undefined : (line) => io.stderr(`${line}\n`),
      onCluster: (c) => {
        cluster = c;
      },
      ...(options.dashboard && { onDashboard: (url: string) => io.stderr(`dashboard: ${url}\n`) }),
      lassoChild: options.lassoChild,
    });
    const files = await writeReports(options.out, result);
    io.stdout(`${summaryText(result)}\nReports:\n  ${files.json}\n  ${files.markdown}\n  ${files.html}\n`);
    return result.verdict.exitCode;
  } catch (err) {
    io.stderr(`${describeError(err)}\n`);
    return 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Entry point for the `battle` subcommand: runs and exits with its code (library timers may still be pending). */
export async function battleMain(args: string[]): Promise<never> {
  const code = await battleCommand(args);
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

interface RunOptions {
  out: string;
  compare: boolean;
  arms?: ArmId[];
  baseline?: string;
  tolerance: number;
  quiet: boolean;
  dashboard: boolean;
  lassoChild: boolean;
}

type Parsed = { kind: 'help' } | { kind: 'list' } | { kind: 'run'; scenario: BattleScenario; options: RunOptions };

async function parseLoaded(values: Record<string, string | boolean | undefined>): Promise<{ scenario: BattleScenario; options: RunOptions }> {
  const str = (k: string) => values[k] as string | undefined;
  if (str('scenario') !== undefined && str('file') !== undefined) throw new BattleUsageError('use either --scenario or --file, not both');
  const overrides: ScenarioOverrides = {};
  const duration = str('duration');
  if (duration !== undefined) {
    overrides.durationMs = withFlag('--duration', () => parseDuration(duration));
    if (!(overrides.durationMs > 0)) throw new BattleUsageError('--duration must be longer than 0');
  }
  const rate = str('rate');
  if (rate !== undefined) overrides.rate = withFlag('--rate', () => parseRate(rate));
  const seed = str('seed');
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed) || Number(seed) > 0xffffffff) throw new BattleUsageError(`--seed must be an integer from 0 to ${0xffffffff}, got "${seed}"`);
    overrides.seed = Number(seed);
  }
  const tolText = str('tolerance') ?? '10%';
  const tolerance = /^\d+(\.\d+)?%$/.test(tolText) ? Number.parseFloat(tolText) / 100 : /^\d+(\.\d+)?$/.test(tolText) ? Number(tolText) : Number.NaN;
  if (!(tolerance >= 0)) throw new BattleUsageError(`--tolerance must be a percentage such as 10%, got "${tolText}"`);
  let arms: ArmId[] | undefined;
  const armsText = str('arms');
  if (armsText !== undefined) {
    arms = armsText.split(',').map((a) => a.trim()) as ArmId[];
    const bad = arms.filter((a) => !ARM_IDS.includes(a));
    if (bad.length > 0) throw new BattleUsageError(`unknown arm(s) ${bad.join(', ')}; arms are ${ARM_IDS.join(', ')}`);
  }
  const file = str('file');
  const scenario = file !== undefined ? await loadScenarioFile(file, overrides) : builtInScenario(str('scenario') ?? 'smoke', overrides);
  return {
    scenario,
    options: {
      out: resolve(str('out') ?? 'battle-results'),
      compare: values.compare === true || arms !== undefined,
      ...(arms && { arms }),
      ...(str('baseline') !== undefined && { baseline: str('baseline')! }),
      tolerance,
      quiet: values.quiet === true,
      dashboard: values.dashboard === true,
      lassoChild: values['lasso-child'] === true,
    },
  };
}

async function parseCommandLine(args: string[]): Promise<Parsed> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        scenario: { type: 'string', short: 's' },
        file: { type: 'string', short: 'f' },
        duration: { type: 'string', short: 'd' },
        rate: { type: 'string', short: 'r' },
        seed: { type: 'string' },
        out: { type: 'string', short: 'o' },
        baseline: { type: 'string' },
        tolerance: { type: 'string' },
        compare: { type: 'boolean' },
        arms: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        dashboard: { type: 'boolean' },
        'lasso-child': { type: 'boolean' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new BattleUsageError(`${errorMessage(err)}\n\n${BATTLE_USAGE}`);
  }
  if (values.help) return { kind: 'help' };
  if (values.list) return { kind: 'list' };
  return { kind: 'run', ...(await parseLoaded(values)) };
}

function withFlag<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new BattleUsageError(`${flag}: ${errorMessage(err)}`);
  }
}

function describeError(err: unknown): string {
  if (err instanceof ScenarioFileError || err instanceof BattleUsageError || err instanceof BaselineError) return `error: ${err.message}`;
  if (err instanceof ScenarioConfigError) return `error: invalid scenario: ${err.message}`;
  if (err instanceof WorkloadConfigError) return `error: invalid workload: ${err.message}`;
  if (err instanceof ScenarioSetupError) return `setup error: ${err.message}`;
  return `setup error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}

export type { BattleResult };
