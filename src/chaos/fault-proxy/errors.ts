import type { FaultRuleIssue } from './rules.js';

/** Thrown by `setFaults` / `addFault` (and turned into a 400 by the control endpoint) for invalid rules. */
export class FaultRuleError extends Error {
  constructor(readonly issues: FaultRuleIssue[]) {
    super(`invalid fault rules: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
    this.name = 'FaultRuleError';
  }
}

/** A proxy lifecycle failure, e.g. the port was taken while the proxy was refusing connections. */
export class FaultProxyError extends Error {
  constructor(
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FaultProxyError';
  }
}
