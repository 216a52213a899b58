/**
 * Gathers what the `best` strategy scores each candidate on for one request, from the evidence
 * store: the method's own recent latency where a candidate has fresh samples of it, else an
 * estimate from its probe median (head polls: its distance) plus the method's cost over the probe
 * on a candidate that has both (see estimateTail); its failure rate since it last recovered.
 */
import type { EvidenceStore } from './evidence.js';
import { estimateTail } from './score.js';
import type { ScoreEvidence, TailLatency } from './score.js';

/** The method head polls use: every provider has fresh samples of it. */
export const PROBE_METHOD = 'eth_blockNumber';

/** What selection knows about a candidate besides the evidence store. */
export interface CandidateFacts {
  id: string;
  /** Attempts in flight on it now. */
  inFlight: number;
  /** Connection pool size. */
  capacity: number;
  /** Blocks behind the chain head (0 when unknown). */
  lagBlocks: number;
  /**
   * When it last came back from an outage: its breaker closed after its probes succeeded, or its
   * head polls answered again after failing. Failures before it no longer count against it: a
   * provider that keeps failing is its breaker's business (each reopening doubles the wait).
   * Without this a recovered provider would stay behind the others, unused, for as long as the
   * outage's failures fill its success-rate window.
   */
  recoveredAt?: number | undefined;
}

export interface CandidateEvidenceOptions {
  /**
   * A method's own samples older than this stop speaking for a provider (it gets an estimate from
   * its probes instead), so a provider judged during a bad minute is not judged by it for ever.
   * @default 10000
   */
  methodMaxAgeMs?: number;
  /** Probe samples older than this are not used (the provider is not being polled). @default 30000 */
  probeMaxAgeMs?: number;
}

export const DEFAULT_CANDIDATE_EVIDENCE_OPTIONS: Required<CandidateEvidenceOptions> = { methodMaxAgeMs: 10_000, probeMaxAgeMs: 30_000 };

/** Score evidence of every candidate, in input order. */
export function candidateEvidence(store: EvidenceStore, method: string, candidates: readonly CandidateFacts[], options: CandidateEvidenceOptions = {}): ScoreEvidence[] {
  const methodMaxAgeMs = options.methodMaxAgeMs ?? DEFAULT_CANDIDATE_EVIDENCE_OPTIONS.methodMaxAgeMs;
  const probeMaxAgeMs = options.probeMaxAgeMs ?? DEFAULT_CANDIDATE_EVIDENCE_OPTIONS.probeMaxAgeMs;
  const own = candidates.map((c) => store.tailLatency(c.id, method, methodMaxAgeMs));
  const probe = candidates.map((c) => store.tailLatency(c.id, PROBE_METHOD, probeMaxAgeMs));
  let reference: { method: TailLatency; probe: TailLatency } | undefined;
  for (let i = 0; i < candidates.length && reference === undefined; i++) {
    const m = own[i];
    const p = probe[i];
    if (m !== undefined && p !== undefined) reference = { method: m, probe: p };
  }
  return candidates.map((c, i) => {
    const p = probe[i];
    const successRate = store.successRate(c.id, c.recoveredAt);
    return {
      latency: own[i] ?? (p === undefined ? undefined : estimateTail(p, reference)),
      errorRate: successRate === undefined ? undefined : 1 - successRate,
      lagBlocks: c.lagBlocks,
      inFlight: c.inFlight,
      capacity: c.capacity,
    };
  });
}
