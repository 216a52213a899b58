import type { LogsReport, NewHeadsReport } from '../../chaos/checker/index.js';
import type { SubscriptionResult } from '../../chaos/scenario/index.js';
import type { SubscriptionProbe } from '../../chaos/workload/index.js';

/** One subscriber's delivery, reduced to the numbers a report shows. */
export interface SubscriberSummary {
  name: string;
  kind: 'newHeads' | 'logs';
  /** Canonical blocks (newHeads) or logs (logs) that had to arrive. */
  expected: number;
  delivered: number;
  deliveryRatio: number;
  missed: number;
  duplicates: number;
  /** newHeads only: largest run of blocks skipped at once. */
  maxGapBlocks: number;
  outOfOrder: number;
  reorgErrors: number;
  /** Socket closes the client saw (Lasso promises none). */
  closes: number;
  ok: boolean;
}

/** A delivery problem on the time axis. */
export interface SubscriptionIncident {
  tMs: number;
  subscriber: string;
  type: 'gap' | 'duplicate' | 'close';
  detail: string;
}

/** One time bucket of subscription delivery. */
export interface SubscriptionPoint {
  tMs: number;
  headsPerSubscriber: number | null;
  logsPerSubscriber: number | null;
  incidents: number;
  /**
   * newHeads delivery lag in this bucket (notification received minus block mined on the devnet),
   * median and worst over every subscriber; null without a delivery (or in results written
   * before lag was measured).
   */
  headLagP50Ms?: number | null;
  headLagMaxMs?: number | null;
  /** Incidents in this bucket by type. */
  gaps?: number;
  duplicates?: number;
  closes?: number;
}

export interface SubscriptionsSummary {
  subscribers: number;
  expected: number;
  delivered: number;
  /** delivered / expected over every subscriber (blocks and logs); null without subscribers. */
  deliveryRatio: number | null;
  duplicates: number;
  /** duplicates / delivered; null without subscribers. */
  duplicateRatio: number | null;
  maxGapBlocks: number;
  missed: number;
  closes: number;
  bySubscriber: SubscriberSummary[];
  /** Notifications per bucket, averaged over the newHeads subscribers, delivery lag, and incidents per bucket. */
  series: { bucketMs: number; points: SubscriptionPoint[] };
  /** First 200 incidents in time order. */
  incidents: SubscriptionIncident[];
}

/** Summarises the scenario's subscription results and walks the probes' events for the time series. */
/**
 * @param minedAtMs run-clock time a block (by hash) was mined on the devnet, for delivery lag;
 *   undefined when unknown (then no lag is reported for it).
 */
export function summarizeSubscriptions(
  results: readonly SubscriptionResult[],
  probes: readonly SubscriptionProbe[],
  bucketMs: number,
  durationMs: number,
  minedAtMs: (hash: string) => number | undefined = () => undefined,
): SubscriptionsSummary {
  const bySubscriber = results.map((s): SubscriberSummary => {
    const r = s.report;
    const heads = s.kind === 'newHeads' ? (r as NewHeadsReport) : undefined;
    const logs = s.kind === 'logs' ? (r as LogsReport) : undefined;
    return {
      name: s.name,
      kind: s.kind,
      expected: r.expected,
      delivered: r.delivered,
      deliveryRatio: r.deliveryRatio,
      missed: Math.max(0, r.expected - r.delivered),
      duplicates: r.duplicateCount,
      maxGapBlocks: heads?.maxGapBlocks ?? 0,
      outOfOrder: (heads ?? logs)?.outOfOrder.length ?? 0,
      reorgErrors: (heads ?? logs)?.reorgErrors.length ?? 0,
      closes: s.closes.length,
      ok: s.ok,
    };
  });
  const sum = (f: (s: SubscriberSummary) => number) => bySubscriber.reduce((a, s) => a + f(s), 0);
  const expected = sum((s) => s.expected);
  const delivered = sum((s) => s.delivered);
  const duplicates = sum((s) => s.duplicates);

  const buckets = Math.max(1, Math.ceil(durationMs / bucketMs));
  const heads = new Array<number>(buckets).fill(0);
  const logs = new Array<number>(buckets).fill(0);
  const incidentsPer = new Array<number>(buckets).fill(0);
  const lags = Array.from({ length: buckets }, () => [] as number[]);
  const byType = { gap: new Array<number>(buckets).fill(0), duplicate: new Array<number>(buckets).fill(0), close: new Array<number>(buckets).fill(0) };
  const incidents: SubscriptionIncident[] = [];
  let headProbes = 0;
  let logProbes = 0;
  for (const probe of probes) {
    if (probe.kind === 'newHeads') headProbes++;
    else logProbes++;
    let last: number | undefined;
    const seen = new Set<string>();
    for (const e of probe.events) {
      if (e.type === 'close') incidents.push({ tMs: e.tMs, subscriber: probe.name, type: 'close', detail: `code ${e.code}` });
      if (e.type !== 'notification') continue;
      const i = Math.floor(e.tMs / bucketMs);
      if (i >= 0 && i < buckets) (probe.kind === 'newHeads' ? heads : logs)[i]!++;
      if (probe.kind !== 'newHeads') continue;
      const h = e.result as { number?: string; hash?: string } | null;
      if (!h || typeof h.number !== 'string' || typeof h.hash !== 'string') continue;
      const n = Number.parseInt(h.number, 16);
      const mined = minedAtMs(h.hash);
      if (mined !== undefined && i >= 0 && i < buckets && !seen.has(h.hash)) lags[i]!.push(Math.max(0, e.tMs - mined));
      if (seen.has(h.hash)) incidents.push({ tMs: e.tMs, subscriber: probe.name, type: 'duplicate', detail: `block ${n}` });
      else if (last !== undefined && n > last + 1) incidents.push({ tMs: e.tMs, subscriber: probe.name, type: 'gap', detail: `${n - last - 1} block(s) skipped after ${last}` });
      seen.add(h.hash);
      last = last === undefined ? n : Math.max(last, n);
    }
  }
  incidents.sort((a, b) => a.tMs - b.tMs);
  for (const inc of incidents) {
    const i = Math.floor(inc.tMs / bucketMs);
    if (i >= 0 && i < buckets) {
      incidentsPer[i]!++;
      byType[inc.type][i]!++;
    }
  }
  return {
    subscribers: bySubscriber.length,
    expected,
    delivered,
    deliveryRatio: bySubscriber.length === 0 ? null : expected === 0 ? 1 : delivered / expected,
    duplicates,
    duplicateRatio: bySubscriber.length === 0 ? null : delivered === 0 ? 0 : duplicates / delivered,
    maxGapBlocks: Math.max(0, ...bySubscriber.map((s) => s.maxGapBlocks)),
    missed: sum((s) => s.missed),
    closes: sum((s) => s.closes),
    bySubscriber,
    series: {
      bucketMs,
      points: heads.map((h, i) => ({
        tMs: i * bucketMs,
        headsPerSubscriber: headProbes === 0 ? null : round(h / headProbes),
        logsPerSubscriber: logProbes === 0 ? null : round(logs[i]! / logProbes),
        incidents: incidentsPer[i]!,
        headLagP50Ms: lags[i]!.length === 0 ? null : round(median(lags[i]!)),
        headLagMaxMs: lags[i]!.length === 0 ? null : round(lags[i]!.reduce((a, b) => Math.max(a, b))),
        gaps: byType.gap[i]!,
        duplicates: byType.duplicate[i]!,
        closes: byType.close[i]!,
      })),
    },
    incidents: incidents.slice(0, 200),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
