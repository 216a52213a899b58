/**
 * Public entry point of `lasso-rpc/chaos`: the fault-injection toolkit for your own tests. Every
 * name is listed here on purpose; the modules behind it (result assembly, report and docs
 * rendering, timeline internals) are Lasso's own and may change without notice.
 */

// Fault proxy: one per provider, HTTP and WebSocket aware, seeded; plus its HTTP control API.
export { FaultProxy } from './fault-proxy/proxy.js';
export type { FaultHandle, FaultProxyOptions, InstalledFault } from './fault-proxy/proxy.js';
export { startControlServer } from './fault-proxy/control-server.js';
export type { ControlErrorBody, ControlServer, ControlServerOptions, ProxyView } from './fault-proxy/control-server.js';
export { FaultProxyError, FaultRuleError } from './fault-proxy/errors.js';
export { FAULT_TYPES, LOGS_RANGE_VENDORS, parseFaultRules } from './fault-proxy/rules.js';
export type {
  FaultRule,
  FaultRuleIssue,
  FaultTransport,
  FaultType,
  GarbageFault,
  HangFault,
  HttpStatusFault,
  LatencyFault,
  LogsRangeCapFault,
  LogsRangeVendor,
  RefuseFault,
  RequestFaultScope,
  ResetFault,
  RewriteResultFault,
  RpcErrorFault,
  SlowBodyFault,
  TruncatedFault,
  WrongIdFault,
  WsDelayFault,
  WsDropFault,
  WsStallFault,
} from './fault-proxy/rules.js';
export type { FaultProxyStats } from './fault-proxy/stats.js';

// Static upstream: a scripted JSON-RPC server (benchmarks, tests that need exact answers).
export { startStaticUpstream } from './static-upstream.js';
export type { StaticHandler, StaticReply, StaticUpstream, StaticUpstreamOptions } from './static-upstream.js';

// Scenarios: devnet + fault proxies + Lasso, a workload, a chaos timeline, checks, a JSON result.
export { scenario, writeScenarioResult } from './scenario/scenario.js';
export type { ScenarioOptions, ScenarioProgress, ScenarioRun, SubscriptionSpec } from './scenario/scenario.js';
export type { LassoLauncher, LassoOverrides, ProviderSpec, ScenarioCluster, ScenarioLasso, ScenarioProvider } from './scenario/cluster.js';
export type { ChaosAction, ChaosEntry, ChaosEventRecord, ChaosTarget } from './scenario/timeline.js';
export type { ProviderMonitor, ProviderSample, ProviderState } from './scenario/monitor.js';
export { subscriptionProviders } from './scenario/monitor.js';
export { check, latencyBelow, subscriptionsClean, successRatioAtLeast } from './scenario/checks.js';
export type { CheckContext, CheckResult, CheckVerdict, ScenarioCheck } from './scenario/checks.js';
export { answeredRatio, formatCounts, latencySummary, pct, sentBetween, servedBy, successRatio } from './scenario/analysis.js';
export { groupSamples, sumSamples } from './scenario/prometheus.js';
export type { MetricSample } from './scenario/prometheus.js';
export { SCENARIO_RESULT_SCHEMA, SCENARIO_RESULT_SCHEMA_VERSION } from './scenario/types.js';
export type { OutcomeTotals, ProviderResult, ScenarioResult, SubscriptionResult, TimePoint } from './scenario/types.js';
export { ScenarioConfigError, ScenarioSetupError } from './scenario/errors.js';

// Workload: open-model HTTP load with HDR latency, subscription probes and a consistency probe.
export { Workload } from './workload/workload.js';
export type { WorkloadOptions, WorkloadProgress, WorkloadRunOptions } from './workload/workload.js';
export { DEFAULT_METHOD_MIX, WORKLOAD_METHODS } from './workload/methods.js';
export type { MethodMix, WorkloadChain, WorkloadMethod } from './workload/methods.js';
export { devnetWorkloadChain } from './workload/devnet-chain.js';
export type { DevnetWorkloadChainOptions } from './workload/devnet-chain.js';
export { createHttpTarget } from './workload/target.js';
export type { HttpTargetOptions, RpcTarget, TargetCall, TargetReply } from './workload/target.js';
export type { ClientFailure, RequestOutcome, RequestRecord } from './workload/record.js';
export type { LatencySummary } from './workload/latency.js';
export type { RunClock } from './workload/clock.js';
export { SubscriptionProbe, SubscriptionProbeError } from './workload/subscription-probe.js';
export type { ProbeEvent, ProbeKind, SubscriptionProbeOptions } from './workload/subscription-probe.js';
export { ConsistencyProbe } from './workload/consistency-probe.js';
export type { CanonicalChain, ConsistencyProbeOptions } from './workload/consistency-probe.js';
export type { ConsistencySummary } from './workload/consistency-tally.js';
export { WorkloadConfigError } from './workload/errors.js';

// Checkers: what subscription clients received versus the devnet's canonical chain.
export { checkLogs, checkNewHeads, headsFromNotifications, logMatchesFilter, logsFromNotifications } from './checker/index.js';
export type {
  BlockWindow,
  DeliveredHead,
  DeliveredLog,
  DeliveryCounts,
  HeadsReorgError,
  LogFilter,
  LogsReorgError,
  LogsReport,
  NewHeadsReport,
} from './checker/index.js';

// Seeded randomness: a failing run replays exactly from its seed.
export { createPrng } from './prng.js';
export type { Prng } from './prng.js';
