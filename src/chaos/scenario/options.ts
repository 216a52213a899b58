// The options a scenario takes and what it hands back.
import type { RequestRecord } from '../workload/record.js';
import type { SubscriptionProbe } from '../workload/subscription-probe.js';
import type { RpcTarget } from '../workload/target.js';
import type { WorkloadOptions, WorkloadProgress } from '../workload/workload.js';
import type { CheckResult, ScenarioCheck } from './checks.js';
import type { LassoLauncher, LassoOverrides, ProviderSpec, ScenarioCluster } from './cluster.js';
import type { ProviderSample } from './monitor.js';
import type { MetricSample } from './prometheus.js';
import type { SubscriptionSpec } from './subscribers.js';
import type { ChaosEntry, ChaosEventRecord } from './timeline.js';
import type { ScenarioResult } from './types.js';

/** Live numbers, reported every `progressIntervalMs` while the workload runs. */
export interface ScenarioProgress extends WorkloadProgress {
  /** p95 latency of the requests completed since the previous report, ms. */
  recentP95Ms: number;
  chaosEvents: number;
  lastChaos?: ChaosEventRecord;
}

export interface ScenarioOptions {
  /** Short identifier (file name of the result). */
  name: string;
  title?: string;
  /** What the scenario proves (goes into the result and the docs). */
  description?: string;
  /** Seeds every random choice: method mix, parameters, chaos jitter, fault probabilities, Lasso's own draws. */
  seed: number;
  /** @default 3 plain providers */
  providers?: number | ProviderSpec[];
  lasso?: LassoOverrides;
  /** Where Lasso runs, e.g. a child process. @default this process */
  launchLasso?: LassoLauncher;
  workload: WorkloadOptions & {
    /** Routing strategy put in the URL (`/rpc/<strategy>/<chain>`). @default the chain's default */
    strategy?: string;
  };
  /** @default [] */
  chaos?: ChaosEntry[];
  /** Block production driver: one block every this many ms while the workload runs; 0 = none. @default 1000 */
  blockTimeMs?: number;
  /** Ping transactions (one log each) per block. @default 2 */
  txPerBlock?: number;
  subscriptions?: SubscriptionSpec[];
  /** Methods counted at each provider's proxy (result: `providers[id].arrivals`). */
  countMethods?: string[];
  checks?: ScenarioCheck[];
  /** /api/providers poll interval, ms. @default 100 */
  pollIntervalMs?: number;
  /** Time-series bucket, ms. @default 1000 */
  bucketMs?: number;
  /** After the workload, how long subscribers get to catch up with the head, ms. @default 5000 */
  settleMs?: number;
  onProgress?: (progress: ScenarioProgress) => void;
  /** @default 1000 */
  progressIntervalMs?: number;
  /** When set, the result is written to `<resultsDir>/<name>.json`. */
  resultsDir?: string;
  /** Runs once the environment is ready, before subscriptions and the workload (e.g. take a provider down beforehand). */
  prepare?: (cluster: ScenarioCluster) => unknown;
  /** Send the workload somewhere else than Lasso's HTTP endpoint (e.g. a client-side fallback, for comparisons). */
  target?: (cluster: ScenarioCluster) => RpcTarget;
  /** Started with the workload and stopped as soon as it has completed, while the chain still moves (e.g. a consistency probe). */
  alongside?: (cluster: ScenarioCluster) => { stop(): Promise<unknown> };
}

/** Everything a scenario produced. The cluster is closed by the time you get this. */
export interface ScenarioRun {
  result: ScenarioResult;
  /** Every request, in schedule order. */
  records: RequestRecord[];
  /** Every /api/providers poll. */
  samples: ProviderSample[];
  chaos: ChaosEventRecord[];
  probes: SubscriptionProbe[];
  metrics: { before: MetricSample[]; after: MetricSample[]; delta: MetricSample[] };
  failedChecks(): CheckResult[];
}
