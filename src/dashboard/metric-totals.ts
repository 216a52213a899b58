import type { LassoMetrics } from '../observability/metrics.js';

/** Lifetime counts of one provider, summed over methods and transports. */
export interface ProviderTotals {
  attempts: number;
  /** Attempts by result: `success` or an error class (`cancelled` for attempts Lasso abandoned itself, such as a WebSocket channel closing under them). */
  byResult: Map<string, number>;
  /** Upstream latency histogram: upper bound in seconds (Infinity last) -> attempts at or below it (cumulative). */
  latencyBuckets: Map<number, number>;
}

/** Lifetime counts of one chain. */
export interface ChainTotals {
  /** Client requests, invalid ones excluded. */
  requests: number;
  /** Requests answered with a result or the upstream's own error (success + rpc_error). */
  answered: number;
  providers: Map<string, ProviderTotals>;
}

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * Reads Lasso's own Prometheus series (the same numbers /metrics exposes) and sums them per
 * chain and provider, so the dashboard shows what an operator's Prometheus would see.
 */
export async function readTotals(metrics: LassoMetrics): Promise<Map<string, ChainTotals>> {
  const [requests, attempts, durations] = await Promise.all([metrics.requests.get(), metrics.attempts.get(), metrics.upstreamDuration.get()]);
  const chains = new Map<string, ChainTotals>();
  const chainOf = (name: string): ChainTotals => {
    let chain = chains.get(name);
    if (!chain) chains.set(name, (chain = { requests: 0, answered: 0, providers: new Map() }));
    return chain;
  };
  const providerOf = (chainName: string, id: string): ProviderTotals => {
    const providers = chainOf(chainName).providers;
    let provider = providers.get(id);
    if (!provider) providers.set(id, (provider = { attempts: 0, byResult: new Map(), latencyBuckets: new Map() }));
    return provider;
  };

  for (const { value, labels } of requests.values as Sample[]) {
    const outcome = String(labels.outcome);
    if (outcome === 'invalid') continue;
    const chain = chainOf(String(labels.chain));
    chain.requests += value;
    if (outcome === 'success' || outcome === 'rpc_error') chain.answered += value;
  }
  for (const { value, labels } of attempts.values as Sample[]) {
    const provider = providerOf(String(labels.chain), String(labels.provider));
    const result = String(labels.result);
    provider.attempts += value;
    provider.byResult.set(result, (provider.byResult.get(result) ?? 0) + value);
  }
  const bucketName = `${metrics.upstreamDuration.name}_bucket`;
  for (const { value, labels, metricName } of durations.values as Sample[]) {
    if (metricName !== bucketName) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    const buckets = providerOf(String(labels.chain), String(labels.provider)).latencyBuckets;
    buckets.set(le, (buckets.get(le) ?? 0) + value);
  }
  return chains;
}

/**
 * Quantile `q` (0..1) of the attempts counted between two cumulative histograms, interpolated
 * linearly inside the bucket it falls in (as Prometheus' histogram_quantile does); in ms.
 * undefined when no attempt was counted in between.
 */
export function quantileBetween(before: Map<number, number> | undefined, after: Map<number, number>, q: number): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const deltas = bounds.map((le) => (after.get(le) ?? 0) - (before?.get(le) ?? 0));
  const total = deltas.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const cumulative = deltas[i] as number;
    if (cumulative < rank) continue;
    const lower = i === 0 ? 0 : (bounds[i - 1] as number);
    const upper = bounds[i] as number;
    if (upper === Infinity) return lower * 1000;
    const below = i === 0 ? 0 : (deltas[i - 1] as number);
    const inBucket = cumulative - below;
    const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
    return (lower + (upper - lower) * fraction) * 1000;
  }
  return undefined;
}
