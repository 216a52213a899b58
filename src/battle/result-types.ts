import type { ChaosEventRecord, ScenarioResult } from '../chaos/scenario/index.js';
import type { ConsistencySummary, LatencySummary } from '../chaos/workload/index.js';
import type { FaultAnalysis } from './analysis/faults.js';
import type { MetricAccuracy } from './analysis/metrics-accuracy.js';
import type { SubscriptionsSummary } from './analysis/subscriptions.js';
import type { ArmId } from './arms/index.js';
import type { SloResult } from './slo.js';
import type { SloSpec, SoakSpec } from './scenario-types.js';
import type { SoakResult } from './soak.js';

/** `schema` of a battle result file. */
export const BATTLE_RESULT_SCHEMA = 'lasso.battle-result';
/** Bumped on any change that breaks a reader (renamed/removed field, changed unit); adding a field is not a break. */
export const BATTLE_RESULT_SCHEMA_VERSION = 1;

/** One arm of a `--compare` run, summarised. */
export interface ArmResult {
  arm: ArmId;
  title: string;
  /** How the client was configured. */
  description: string;
  /** What a reader should know to judge the arm's figures fairly (e.g. failures that are the library's own behaviour). */
  note?: string;
  startedAt: string;
  durationMs: number;
  requests: number;
  success: number;
  rpcError: number;
  failed: number;
  successRatio: number;
  answeredRatio: number;
  latencyMs: LatencySummary;
  /** Non-success outcomes by `code:<n>` or `failure:<kind>`. */
  errors: Record<string, number>;
  /** The most frequent failure messages (at most 5), to explain `errors`. */
  topFailures: { detail: string; count: number }[];
  /** Block delivery to newHeads watchers; null when the scenario has none. For Lasso: the worst of its subscribers. */
  blocks: {
    subscribers: number;
    expected: number;
    delivered: number;
    missed: number;
    duplicates: number;
    /** Largest run of blocks skipped at once (delivered late or never). */
    maxGapBlocks: number;
    /** Blocks delivered after a later one (a stalled watcher catching up). */
    outOfOrder: number;
    watcherErrors?: number;
  } | null;
  /** Worst failover over the fault episodes (same definition for every arm). */
  failover: { worstMs: number | null; unsettled: number; episodes: number };
  timeSeries: { bucketMs: number; points: { tMs: number; requests: number; successRatio: number | null; p50: number; p95: number; p99: number }[] };
  /** The arm could not run (setup error). */
  error?: string;
}

export interface BaselineMetric {
  metric: string;
  /** `lower` is better (latency, time), or `higher` (ratios). */
  better: 'lower' | 'higher';
  /** The worst baseline run's value. */
  baseline: number | null;
  current: number | null;
  /** Worst value that still passes (recovery: its SLO). */
  limit?: number;
  regressed: boolean;
}

export interface BaselineComparison {
  file: string;
  scenario: string;
  startedAt: string;
  /** Runs the baseline is made of. */
  runs?: number;
  /** Relative tolerance, e.g. 0.1 for 10%. */
  tolerance: number;
  metrics: BaselineMetric[];
  /** Names of the regressed metrics. */
  regressions: string[];
  note?: string;
}

/** The JSON report of one `lasso battle` run. */
export interface BattleResult {
  schema: typeof BATTLE_RESULT_SCHEMA;
  schemaVersion: typeof BATTLE_RESULT_SCHEMA_VERSION;
  /**
   * What made the run: package version and, inside a git checkout, the commit (`-dirty` suffix when
   * the tree had changes) and `clean`: no uncommitted changes at run time, so checking out `commit`
   * and re-running reproduces it.
   */
  generator: { name: 'lasso battle'; version: string; commit?: string; clean?: boolean };
  /** File stem of the reports: `<UTC timestamp>-<scenario>[-compare]`. */
  id: string;
  startedAt: string;
  finishedAt: string;
  /** Wall time of the whole command, every arm included. */
  wallTimeMs: number;
  environment: { node: string; platform: string; cpus: number; cpuModel: string; memoryGb: number };
  scenario: {
    name: string;
    title: string;
    description: string;
    source: string;
    seed: number;
    durationMs: number;
    rate: number;
    mix: Record<string, number>;
    providers: { id: string; latencyMs?: number; jitterMs?: number; lagBlocks?: number; faults?: unknown[] }[];
    blockTimeMs: number;
    subscriptions: { kind: string; count?: number; name?: string }[];
    chaos: Record<string, unknown>[];
    slos: SloSpec;
    soak?: SoakSpec;
  };
  options: { compare: boolean; baseline?: string; tolerance: number };
  verdict: {
    passed: boolean;
    /** 0: every SLO passed (and no baseline regression); 1: otherwise. */
    exitCode: 0 | 1;
    failed: string[];
    inconclusive: string[];
  };
  slos: SloResult[];
  faults: FaultAnalysis;
  subscriptions: SubscriptionsSummary;
  /** Lasso's own counters against the workload's ground truth (absent in results written before it existed). */
  metricsAccuracy?: MetricAccuracy[];
  /** What the consistency probe found, against the devnet's canonical chain (scenarios with consistency SLOs). */
  consistency?: ConsistencySummary & {
    /** Probe requests (they reach Lasso alongside the workload's). */
    requests: number;
  };
  soak?: SoakResult;
  comparison?: { arms: ArmResult[]; note: string };
  baseline?: BaselineComparison;
  /** The Lasso run as the scenario runner reported it (schema `lasso.scenario-result`), unchanged. */
  lasso: ScenarioResult;
}

/** Re-exported for readers of `chaos`. */
export type { ChaosEventRecord };
