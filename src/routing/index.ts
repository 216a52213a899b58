// selection.ts is deliberately not re-exported: it depends on providers/, which imports this index.
export { EvidenceStore } from './evidence.js';
export type { EvidenceOptions, EvidenceSnapshot, ProviderEvidenceSnapshot, MethodEvidenceSnapshot } from './evidence.js';
export { createStrategy, isStrategyName, seededRandom, STRATEGY_NAMES } from './strategies.js';
export type { StrategyName, RankCandidate, Strategy, StrategyDeps } from './strategies.js';
export { PROBE_METHOD } from './candidate-evidence.js';
