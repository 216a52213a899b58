/** Method allow / deny lists with `*` globs (`debug_*`), compiled once per config. */
import type { MethodRulesConfig } from '../config/index.js';

export type MethodMatcher = (method: string) => boolean;

export function globMatcher(globs: readonly string[]): MethodMatcher {
  if (globs.length === 0) return () => false;
  const source = globs.map((g) => g.split('*').map(escapeRegExp).join('.*')).join('|');
  const re = new RegExp(`^(?:${source})$`);
  return (method) => re.test(method);
}

/** True when the rules let `method` through: not denied, and allowed when an allow list exists. */
export function methodRulesMatcher(rules: MethodRulesConfig | undefined): MethodMatcher {
  if (rules === undefined) return () => true;
  const denied = globMatcher(rules.deny);
  const allowed = rules.allow === undefined ? () => true : globMatcher(rules.allow);
  return (method) => allowed(method) && !denied(method);
}

/** Cost of each method for the rate limiter: the first matching glob's cost, else 1. */
export function methodCostTable(costs: Readonly<Record<string, number>>): (method: string) => number {
  const rules = Object.entries(costs).map(([glob, cost]) => ({ matches: globMatcher([glob]), cost }));
  if (rules.length === 0) return () => 1;
  const memo = new Map<string, number>();
  return (method) => {
    let cost = memo.get(method);
    if (cost === undefined) {
      cost = rules.find((r) => r.matches(method))?.cost ?? 1;
      // Bounded: client-chosen method names must not grow it without limit.
      if (memo.size < 1024) memo.set(method, cost);
    }
    return cost;
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
