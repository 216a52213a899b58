import type { LogsReport, NewHeadsReport, BlockWindow, LogFilter } from '../checker/index.js';
import type { LatencySummary } from '../workload/latency.js';
import type { MethodMix } from '../workload/methods.js';
import type { CheckResult } from './checks.js';
import type { ProviderStateChange } from './monitor.js';
import type { ChaosEventRecord } from './timeline.js';

/** `schema` of every scenario result file. */
export const SCENARIO_RESULT_SCHEMA = 'lasso.scenario-result';
/**
 * Version of the result format. Bump on any change that breaks a reader (renamed or removed
 * field, changed unit); adding a field is not a break.
 */
export const SCENARIO_RESULT_SCHEMA_VERSION = 1;

/** Outcome counts and latency of a set of requests. */
export interface OutcomeTotals {
  requests: number;
  success: number;
  /** Upstream deterministic errors passed through (e.g. reverts): answers, not failures. */
  rpcError: number;
  failed: number;
  /** success / requests (1 when there were none). */
  successRatio: number;
  /** (success + rpcError) / requests. */
  answeredRatio: number;
  /** From the scheduled send time (open model). */
  latencyMs: LatencySummary;
}

/** One bucket of the time series (by scheduled time). */
export interface TimePoint {
  /** Bucket start, ms after the workload start. */
  tMs: number;
  requests: number;
  success: number;
  rpcError: number;
  failed: number;
  /** null for an empty bucket. */
  successRatio: number | null;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Requests served per provider in this bucket. */
  providers: Record<string, number>;
}

export interface ProviderResult {
  /** Requests whose answer came from this provider (`x-lasso-provider`). */
  served: number;
  /** served / all requests. */
  share: number;
  /** Upstream attempts by result class, from Lasso's /metrics (delta over the run). */
  attempts: Record<string, number>;
  attemptsTotal: number;
  /** Requests per counted method that reached this provider's proxy. */
  arrivals?: Record<string, number>;
  /** Fault-proxy rules fired, by fault type (whole run, including setup). */
  faultsApplied: Record<string, number>;
  /** Breaker transitions from /metrics (delta), keyed `<transport>:<from>-><to>`. */
  breakerTransitions: Record<string, number>;
}

/** One subscription probe and what the checker found. */
export interface SubscriptionResult {
  name: string;
  kind: 'newHeads' | 'logs';
  filter?: LogFilter;
  subscriptionIds: string[];
  /** Ids notifications arrived under (one, equal to the subscription id, when ids are stable). */
  notificationIds: string[];
  notifications: number;
  closes: { tMs: number; code: number; reason: string }[];
  window: BlockWindow;
  /** Lists inside are cut to 50 entries; counts are exact. */
  report: NewHeadsReport | LogsReport;
  ok: boolean;
}

/** The JSON result of one scenario run (`schema` / `schemaVersion` identify the format). */
export interface ScenarioResult {
  schema: typeof SCENARIO_RESULT_SCHEMA;
  schemaVersion: typeof SCENARIO_RESULT_SCHEMA_VERSION;
  name: string;
  title?: string;
  /** What the scenario proves, in a sentence or two. */
  description?: string;
  seed: number;
  /** ISO time of the workload start. */
  startedAt: string;
  /** Workload start to last completion, ms. */
  durationMs: number;
  environment: { node: string; platform: string; cpus: number };
  config: {
    providers: { id: string; latencyMs?: number; jitterMs?: number; lagBlocks?: number; faults?: unknown[]; config?: Record<string, unknown> }[];
    workload: { rate: number; durationMs: number; mix: MethodMix; strategy?: string; timeoutMs?: number };
    lasso: { chain?: Record<string, unknown>; server?: Record<string, unknown> };
    blockTimeMs: number;
    chaos: Record<string, unknown>[];
    subscriptions: { kind: string; name?: string; filter?: unknown; count?: number }[];
  };
  totals: OutcomeTotals & {
    byMethod: Record<string, OutcomeTotals>;
    /** Requests served per provider. */
    byProvider: Record<string, number>;
    /** Upstream attempts per request as reported by Lasso (`x-lasso-attempts`). */
    attempts: { total: number; max: number; distribution: Record<string, number> };
    /** Non-success outcomes by `code:<n>` (JSON-RPC) or `failure:<kind>`. */
    errors: Record<string, number>;
  };
  timeSeries: { bucketMs: number; points: TimePoint[] };
  chaos: ChaosEventRecord[];
  providers: Record<string, ProviderResult>;
  /** Breaker changes seen by polling /api/providers (~100 ms resolution). */
  breakers: ProviderStateChange[];
  /** Lagging / cooling-down changes seen by polling. */
  providerStates: ProviderStateChange[];
  /** Deltas of Lasso's Prometheus counters over the run. */
  metrics: {
    requests: Record<string, number>;
    attempts: Record<string, number>;
    failovers: number;
    breakerTransitions: { provider: string; transport: string; from: string; to: string; count: number }[];
  };
  subscriptions: SubscriptionResult[];
  checks: CheckResult[];
  /** Every check passed (and every subscription report is clean when probes ran). */
  passed: boolean;
}
