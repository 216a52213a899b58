// selection.ts is deliberately not re-exported: it depends on providers/, which imports this index.
export { EvidenceStore } from './evidence.js';
export type { EvidenceOptions } from './evidence.js';
export { createStrategy, isStrategyName, STRATEGY_NAMES } from './strategies.js';
export type { StrategyName, RankCandidate, Strategy, StrategyDeps } from './strategies.js';
export { PROBE_METHOD } from './candidate-evidence.js';
