import type { ChaosEntry, ChaosEventRecord, ProviderSample, ProviderStateChange } from '../../chaos/scenario/index.js';
import type { FaultRule } from '../../chaos/fault-proxy/rules.js';
import type { RequestRecord } from '../../chaos/workload/index.js';
import { LatencyHistogram } from '../../chaos/workload/index.js';

/**
 * One fault as the clients lived it: from the moment it was injected to the moment it was
 * repaired, with what it cost. Times are run-clock ms (0 = workload start).
 */
export interface FaultEpisode {
  /** Index of the chaos timeline entry. */
  entry: number;
  action: string;
  label: string;
  targets: string[];
  /** When the fault was injected. */
  onsetMs: number;
  /** When the repair completed (port listens again, node caught up); null when never repaired during the run. */
  repairMs: number | null;
  /**
   * The fault should open the target's breaker: outages, hangs and 5xx (rate limits and slowness
   * should not) of a provider that requests kept reaching. A breaker counts failed attempts: one
   * that routing stopped sending traffic to has nothing to open on.
   */
  breakerExpected: boolean;
  /** Requests hurt by it (failed, or slower than the disturbed threshold) until traffic settled. */
  disturbedRequests: number;
  /**
   * Onset -> the last hurt request completed, once a clean window followed (every request in it
   * fast and successful). 0 when no request was hurt; null when traffic never settled before the repair.
   */
  failoverMs: number | null;
  /** Onset -> every target's HTTP breaker seen open (0 if already open); null when it did not open before the repair. */
  breakerOpenMs: number | null;
  /** Repair -> every target's HTTP breaker seen closed again. */
  recoveryMs: number | null;
  /** `closed`: measured; `not-open`: no breaker was open at the repair; `pending`: still not closed when observation ended. */
  recovery: 'closed' | 'not-open' | 'pending' | 'no-repair';
  /** For `pending`: how long after the repair it was still observed not closed. */
  recoveryObservedMs?: number;
}

export interface FaultAnalysisInput {
  records: readonly RequestRecord[];
  chaos: readonly ChaosEventRecord[];
  entries: readonly ChaosEntry[];
  /** Breaker polls (Lasso only; empty for client-side arms). */
  samples: readonly ProviderSample[];
  breakers: readonly ProviderStateChange[];
  /** Requests per second (sets the clean-window length). */
  rate: number;
  /** Fixed threshold; default derived from the requests before the first fault. */
  disturbedLatencyMs?: number;
}

export interface FaultAnalysis {
  /** Latency above which a request counted as disturbed. */
  disturbedLatencyMs: number;
  /** Length of the clean window that marks the end of a failover. */
  cleanWindowMs: number;
  episodes: FaultEpisode[];
}

const FAULT_ACTIONS = new Set(['kill', 'freeze', 'partition', 'flap', 'fault', 'pauseMining']);
const REPAIR_OF: Record<string, string> = { kill: 'restart', freeze: 'thaw', partition: 'heal', fault: 'clearFaults', pauseMining: 'resumeMining' };

/** Finds the fault episodes of a run and measures failover, breaker opening and recovery for each. */
export function analyzeFaults(input: FaultAnalysisInput): FaultAnalysis {
  const records = [...input.records].sort((a, b) => a.scheduledMs - b.scheduledMs);
  const onsets = input.chaos.filter((e) => FAULT_ACTIONS.has(e.action) && (e.phase === 'start' || e.phase === 'apply' || e.phase === 'down'));
  const firstOnset = onsets.length > 0 ? Math.min(...onsets.map((e) => e.atMs)) : Infinity;
  const disturbedLatencyMs = input.disturbedLatencyMs ?? defaultThreshold(records, firstOnset);
  const cleanWindowMs = Math.max(1000, 10_000 / input.rate);
  const lastSampleMs = input.samples.length > 0 ? input.samples[input.samples.length - 1]!.tMs : 0;
  // A loop, not a spread: a long run has more records than a call's argument list can hold.
  const endMs = records.reduce((end, r) => Math.max(end, r.scheduledMs + r.latencyMs), Math.max(lastSampleMs, 0));

  const episodes = onsets.map((onset): FaultEpisode => {
    const repair = findRepair(onset, input.chaos);
    const repairMs = repair ? (repair.doneMs ?? repair.atMs) : null;
    const entry = input.entries[onset.entry];
    const breakerExpected = expectsBreaker(entry, onset) && keptReceivingTraffic(records, onset.atMs, repairMs ?? endMs);
    const failover = measureFailover(records, onset.atMs, repairMs ?? endMs, disturbedLatencyMs, cleanWindowMs);
    const breakerOpenMs = input.samples.length === 0 ? null : measureBreakerOpen(onset, repairMs ?? endMs, input.samples, input.breakers);
    const rec = input.samples.length === 0 ? { recovery: 'not-open' as const, recoveryMs: null } : measureRecovery(onset.targets, repairMs, input.samples, input.breakers, lastSampleMs);
    return {
      entry: onset.entry,
      action: onset.action,
      label: onset.label,
      targets: [...onset.targets],
      onsetMs: onset.atMs,
      repairMs,
      breakerExpected,
      disturbedRequests: failover.disturbed,
      failoverMs: failover.failoverMs,
      breakerOpenMs,
      ...rec,
    };
  });
  return { disturbedLatencyMs, cleanWindowMs, episodes };
}

/** max(3 x p99, p99 + 50 ms) of the successful requests before the first fault (or of all, if too few). */
function defaultThreshold(records: readonly RequestRecord[], firstOnsetMs: number): number {
  const calm = records.filter((r) => r.outcome !== 'failed' && r.scheduledMs + r.latencyMs < firstOnsetMs);
  const pool = calm.length >= 50 ? calm : records.filter((r) => r.outcome !== 'failed');
  const h = new LatencyHistogram();
  for (const r of pool) h.record(r.latencyMs);
  const p99 = h.percentile(99);
  h.destroy();
  return Math.round(Math.max(3 * p99, p99 + 50));
}

function findRepair(onset: ChaosEventRecord, chaos: readonly ChaosEventRecord[]): ChaosEventRecord | undefined {
  const after = chaos.filter((e) => e.atMs >= onset.atMs && e !== onset);
  if (onset.phase === 'start') return after.find((e) => e.entry === onset.entry && e.phase === 'end');
  if (onset.phase === 'down') return after.find((e) => e.entry === onset.entry && e.phase === 'up');
  const repairAction = REPAIR_OF[onset.action];
  return after.find((e) => e.action === repairAction && e.targets.some((t) => onset.targets.includes(t)));
}

const FAILURE_RULES = new Set(['hang', 'reset', 'garbage', 'truncated', 'wrong_id', 'refuse', 'slow_body']);

/** Fewest failed attempts on which a breaker opens (network failures; timeouts need 2, other failures 5). */
const BREAKER_MIN_FAILURES = 3;

/**
 * Requests kept reaching the fault's target: at least as many failed over while it was faulty as a
 * breaker needs to open. Routing that stops sending to a provider after its first failures (the
 * default strategy scores failures) leaves its breaker nothing to open on, and that is no fault of
 * the breaker. True when the records do not say how many attempts a request took.
 */
function keptReceivingTraffic(records: readonly RequestRecord[], onsetMs: number, repairMs: number): boolean {
  if (!records.some((r) => r.attempts !== undefined)) return true;
  let failovers = 0;
  for (const r of records) {
    if (r.scheduledMs >= onsetMs && r.scheduledMs < repairMs && (r.attempts ?? 0) > 1 && !r.hedged && ++failovers >= BREAKER_MIN_FAILURES) return true;
  }
  return false;
}

function expectsBreaker(entry: ChaosEntry | undefined, onset: ChaosEventRecord): boolean {
  if (onset.action === 'pauseMining') return false;
  if (onset.action !== 'fault') return true;
  if (!entry || entry.action !== 'fault') return false;
  const rules: FaultRule[] = Array.isArray(entry.fault) ? entry.fault : [entry.fault];
  return rules.some((r) => {
    const scoped = 'methods' in r && r.methods !== undefined;
    const likely = !('probability' in r) || r.probability === undefined || r.probability >= 0.9;
    if (scoped || !likely) return false;
    if (FAILURE_RULES.has(r.type)) return true;
    if (r.type === 'http_status') return r.status >= 500;
    if (r.type === 'rpc_error') return r.code === -32603 || (r.code <= -32000 && r.code >= -32099 && r.code !== -32005);
    return false;
  });
}

/**
 * Walks the requests scheduled from the onset on. A window of `cleanMs` in which every request
 * succeeded under the threshold ends the failover; the failover time is when the last hurt
 * request before it (including requests already in flight at the onset) completed. Requests
 * scheduled after the repair are not this fault's doing. Traffic settled only if the clean stretch
 * began well before the repair (a full clean window, or half the fault for short faults): a fault
 * that hurt everything until it was repaired did not fail over, its repair ended it.
 */
function measureFailover(records: readonly RequestRecord[], onsetMs: number, repairMs: number, thresholdMs: number, cleanMs: number): { failoverMs: number | null; disturbed: number } {
  const hurt = (r: RequestRecord) => r.scheduledMs < repairMs && (r.outcome === 'failed' || r.latencyMs > thresholdMs);
  let lastDone = onsetMs;
  let disturbed = 0;
  for (const r of records) {
    if (r.scheduledMs >= onsetMs) break;
    if (r.scheduledMs + r.latencyMs > onsetMs && (r.outcome === 'failed' || r.latencyMs > thresholdMs)) {
      disturbed++;
      lastDone = Math.max(lastDone, r.scheduledMs + r.latencyMs);
    }
  }
  let windowStart = onsetMs;
  let seen = 0;
  let cleanBeforeRepair = 0;
  let lastHurtMs = -Infinity;
  const margin = Math.min(cleanMs, (repairMs - onsetMs) / 2);
  const settled = () => (disturbed === 0 || (cleanBeforeRepair > 0 && lastHurtMs <= repairMs - margin) ? round(lastDone - onsetMs) : null);
  for (const r of records) {
    if (r.scheduledMs < onsetMs) continue;
    if (r.scheduledMs >= windowStart + cleanMs && seen > 0) return { failoverMs: settled(), disturbed };
    if (hurt(r)) {
      disturbed++;
      lastDone = Math.max(lastDone, r.scheduledMs + r.latencyMs);
      windowStart = r.scheduledMs;
      lastHurtMs = r.scheduledMs;
      seen = 0;
      cleanBeforeRepair = 0;
    } else {
      seen++;
      if (r.scheduledMs < repairMs) cleanBeforeRepair++;
    }
  }
  return { failoverMs: seen > 0 || disturbed === 0 ? settled() : null, disturbed };
}

function breakerAt(samples: readonly ProviderSample[], provider: string, tMs: number): string | undefined {
  let state: string | undefined;
  for (const s of samples) {
    if (s.tMs > tMs) break;
    state = s.providers[provider]?.breakers.http;
  }
  return state;
}

function measureBreakerOpen(onset: ChaosEventRecord, untilMs: number, samples: readonly ProviderSample[], changes: readonly ProviderStateChange[]): number | null {
  let worst = 0;
  for (const t of onset.targets) {
    if (breakerAt(samples, t, onset.atMs) === 'open') continue;
    const opened = changes.find((c) => c.provider === t && c.field === 'breaker:http' && c.to === 'open' && c.tMs >= onset.atMs && c.tMs <= untilMs + 250);
    if (!opened) return null;
    worst = Math.max(worst, opened.tMs - onset.atMs);
  }
  return round(worst);
}

function measureRecovery(
  targets: readonly string[],
  repairMs: number | null,
  samples: readonly ProviderSample[],
  changes: readonly ProviderStateChange[],
  lastSampleMs: number,
): Pick<FaultEpisode, 'recovery' | 'recoveryMs' | 'recoveryObservedMs'> {
  if (repairMs === null) return { recovery: 'no-repair', recoveryMs: null };
  let worst = 0;
  let anyOpen = false;
  for (const t of targets) {
    const state = breakerAt(samples, t, repairMs);
    if (state === undefined || state === 'closed') continue;
    anyOpen = true;
    const closed = changes.find((c) => c.provider === t && c.field === 'breaker:http' && c.to === 'closed' && c.tMs >= repairMs);
    if (!closed) return { recovery: 'pending', recoveryMs: null, recoveryObservedMs: round(Math.max(0, lastSampleMs - repairMs)) };
    worst = Math.max(worst, closed.tMs - repairMs);
  }
  return anyOpen ? { recovery: 'closed', recoveryMs: round(worst) } : { recovery: 'not-open', recoveryMs: 0 };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
