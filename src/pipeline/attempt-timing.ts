import type { ChainConfig } from '../config/index.js';
import type { EvidenceStore } from '../routing/index.js';

/**
 * Learned first-byte timeout for (provider, method) once enough is known: recent latency
 * quantile x multiplier, at least floorMs, plus Lasso's own current event-loop lag. Undefined
 * while unmeasured or disabled (the fixed per-method timeout then applies alone).
 */
export function attemptTimeoutMs(chain: ChainConfig, evidence: EvidenceStore, providerId: string, method: string, loopLagMs: number): number | undefined {
  const adaptive = chain.adaptiveTimeouts;
  if (!adaptive.enabled || adaptive.disabledMethods.includes(method)) return undefined;
  const q = evidence.latencyQuantileMs(providerId, method, adaptive.quantile, adaptive.minSamples);
  if (q === undefined) return undefined;
  return Math.max(adaptive.floorMs, Math.ceil(q * adaptive.multiplier)) + Math.ceil(loopLagMs);
}

/**
 * How long to wait for an attempt on `providerId` before hedging to the next candidate. Based on
 * the provider's own latency quantile, but never more than twice the best candidate's, so a
 * provider that is slow by nature (not just now) is hedged around as quickly as a hung one.
 */
export function hedgeDelayMs(chain: ChainConfig, evidence: EvidenceStore, providerId: string, method: string, candidateIds: readonly string[]): number {
  const h = chain.hedging;
  const own = evidence.latencyQuantileMs(providerId, method, h.quantile);
  let best: number | undefined;
  for (const id of candidateIds) {
    const q = evidence.latencyQuantileMs(id, method, h.quantile);
    if (q !== undefined && (best === undefined || q < best)) best = q;
  }
  const basis = own === undefined ? (best === undefined ? undefined : best * 2) : best === undefined ? own : Math.min(own, best * 2);
  if (basis === undefined) return h.ceilingMs;
  return Math.min(h.ceilingMs, Math.max(h.floorMs, Math.ceil(basis * h.multiplier)));
}
