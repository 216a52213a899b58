/**
 * Cross-field rules, run on the raw (env-substituted) tree rather than as zod refinements: zod skips
 * an object's refinements once any of its fields is invalid, and a config error must list EVERY
 * problem. So these checks are written defensively against any shape.
 */
import { applyChainPreset } from './presets.js';
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
  // Presets fill chainIds the file leaves out; duplicates among those count too.
  const chains = Object.entries(raw.chains).map(([name, chain]) => [name, applyChainPreset(chain)] as const);
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
  issues.push(...authChecks(raw, chains.map(([name, chain]) => ({ name, chainId: isPlainObject(chain) ? asNumber(chain.chainId) : undefined }))));
  return issues;
}

/** Key ids and key values are unique; a key's chains exist. */
function authChecks(raw: Record<string, unknown>, chains: ReadonlyArray<{ name: string; chainId: number | undefined }>): RawIssue[] {
  const issues: RawIssue[] = [];
  const auth = isPlainObject(raw.server) ? raw.server.auth : undefined;
  if (!isPlainObject(auth) || !Array.isArray(auth.keys)) return issues;
  const idIndex = new Map<string, number>();
  const keyIndex = new Map<string, number>();
  auth.keys.forEach((k: unknown, i: number) => {
    if (!isPlainObject(k)) return;
    const path = ['server', 'auth', 'keys', i];
    if (typeof k.id === 'string') {
      const first = idIndex.get(k.id);
      if (first === undefined) idIndex.set(k.id, i);
      else issues.push({ path: [...path, 'id'], message: `duplicate key id "${k.id}" (already used by keys[${first}])` });
    }
    if (typeof k.key === 'string') {
      const first = keyIndex.get(k.key);
      // The value is a secret: name only where the duplicate is.
      if (first === undefined) keyIndex.set(k.key, i);
      else issues.push({ path: [...path, 'key'], message: `same key as keys[${first}]; every key must be different` });
      if (typeof auth.adminKey === 'string' && auth.adminKey === k.key) {
        issues.push({ path: [...path, 'key'], message: 'same as server.auth.adminKey; client keys and the admin key must differ' });
      }
    }
    if (Array.isArray(k.chains)) {
      k.chains.forEach((c: unknown, j: number) => {
        if (typeof c !== 'string') return;
        const known = chains.some((chain) => chain.name === c || (chain.chainId !== undefined && String(chain.chainId) === c));
        if (!known) issues.push({ path: [...path, 'chains', j], message: `unknown chain "${c}"; configured: ${chains.map((x) => x.name).join(', ')}` });
      });
    }
  });
  return issues;
}
