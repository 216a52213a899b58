export { classifyOutcome, shouldFailover, breakerVerdict, isCancelled, parseRetryAfterMs } from './classify.js';
export type { ErrorClass, BreakerFailureKind, CapabilityKind, Classification, BreakerVerdict } from './classify.js';
export { CircuitBreaker } from './circuit-breaker.js';
export type { BreakerState, BreakerOptions, BreakerPermit, BreakerSnapshot, BreakerTransition } from './circuit-breaker.js';
export { Cooldown } from './cooldown.js';
export type { CooldownOptions, CooldownSnapshot } from './cooldown.js';
export { CapabilityMemory, logsRangeSize } from './capability-memory.js';
export type { CapabilityMemoryOptions, CapabilityContext, CapabilityEntrySnapshot } from './capability-memory.js';
