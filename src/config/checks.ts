/**
 * Cross-field rules, run on the raw (env-substituted) tree rather than as zod refinements: zod skips
 * an object's refinements once any of its fields is invalid, and a config error must list EVERY
 * problem. So these checks are written defensively against any shape.
 */
import { NAME_PATTERN } from './schema.js';

export interface RawIssue {
  path: PropertyKey[];
  message: string;
}

const DEFAULT_RECOVERY_MS = 10_000;
const DEFAULT_MAX_RECOVERY_MS = 300_000;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Same leniency as the schema: env substitution turns numbers into numeric strings. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

export function crossCheck(raw: unknown): RawIssue[] {
  const issues: RawIssue[] = [];
  if (!isPlainObject(raw) || !isPlainObject(raw.chains)) return issues;
  const chains = Object.entries(raw.chains);
  if (chains.length === 0) issues.push({ path: ['chains'], message: 'at least one chain is required' });

  const chainIdOwner = new Map<number, string>();
  for (const [name, chain] of chains) {
    if (!NAME_PATTERN.test(name)) {
      issues.push({ path: ['chains', name], message: 'chain name must match /^[a-zA-Z0-9_-]+$/' });
    }
    if (!isPlainObject(chain)) continue;

    const chainId = asNumber(chain.chainId);
    if (chainId !== undefined) {
      const owner = chainIdOwner.get(chainId);
      if (owner === undefined) chainIdOwner.set(chainId, name);
      else issues.push({ path: ['chains', name, 'chainId'], message: `duplicate chainId ${chainId} (already used by chain "${owner}")` });
    }

    if (Array.isArray(chain.providers)) {
      const idIndex = new Map<string, number>();
      chain.providers.forEach((p: unknown, i: number) => {
        if (!isPlainObject(p) || typeof p.id !== 'string') return;
        const first = idIndex.get(p.id);
        if (first === undefined) idIndex.set(p.id, i);
        else {
          issues.push({
            path: ['chains', name, 'providers', i, 'id'],
            message: `duplicate provider id "${p.id}" (already used by providers[${first}])`,
          });
        }
      });
    }

    if (isPlainObject(chain.breaker)) {
      const recovery = chain.breaker.recoveryMs === undefined ? DEFAULT_RECOVERY_MS : asNumber(chain.breaker.recoveryMs);
      const max = chain.breaker.maxRecoveryMs === undefined ? DEFAULT_MAX_RECOVERY_MS : asNumber(chain.breaker.maxRecoveryMs);
      if (recovery !== undefined && max !== undefined && max < recovery) {
        issues.push({
          path: ['chains', name, 'breaker', 'maxRecoveryMs'],
          message: `must be >= recoveryMs (${max} < ${recovery})`,
        });
      }
    }
  }
  return issues;
}
