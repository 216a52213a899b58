/** Reads, substitutes, validates: YAML text or file -> LassoConfig, or a ConfigError listing every problem. */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { crossCheck } from './checks.js';
import { substituteEnv, type Env } from './env.js';
import { ConfigError, formatPath, type ConfigIssue } from './errors.js';
import { KNOWN_KEYS, LassoConfigSchema, type LassoConfig } from './schema.js';

/** File names looked up, in order, when no config path is given. */
export const DEFAULT_CONFIG_FILES = ['lasso.yaml', 'lasso.yml'] as const;

/** The first of `lasso.yaml` / `lasso.yml` that exists in `cwd` (absolute path), else undefined. */
export function findDefaultConfigPath(cwd: string): string | undefined {
  for (const name of DEFAULT_CONFIG_FILES) {
    const p = resolve(join(cwd, name));
    try {
      if (existsSync(p) && statSync(p).isFile()) return p;
    } catch {
      // Unreadable entries count as absent; loadConfigFile reports read errors when asked explicitly.
    }
  }
  return undefined;
}

/** Reads and validates a config file. Throws ConfigError (also for a missing/unreadable file). */
export async function loadConfigFile(path: string, env: Env = process.env): Promise<LassoConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    const message = code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`;
    throw new ConfigError([{ path: '(file)', message }], path);
  }
  return parseConfigText(text, env, path);
}

/** Validates config text. `sourceName` only labels errors. Throws ConfigError listing every problem. */
export function parseConfigText(text: string, env: Env, sourceName: string): LassoConfig {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)',
        // First line only: the pretty form quotes the source line, which may hold a literal key.
        message: (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, ''),
      })),
      sourceName,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    throw new ConfigError([{ path: '(yaml)', message: err instanceof Error ? err.message : 'cannot read YAML' }], sourceName);
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError([{ path: '(root)', message: 'the config is empty; expected a mapping with a `chains` section' }], sourceName);
  }

  const substituted = substituteEnv(raw, env);
  const envPaths = substituted.issues.map((i) => formatPath(i.path));
  // A value whose variable is missing would also fail validation; that echo is noise.
  const underEnvIssue = (p: string) => envPaths.some((e) => p === e || p.startsWith(e + '.') || p.startsWith(e + '['));

  const result = LassoConfigSchema.safeParse(substituted.value, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'required' : undefined),
  });
  const found: PathIssue[] = [...substituted.issues];
  if (!result.success) for (const iss of result.error.issues) found.push(...fromZodIssue(iss));
  found.push(...crossCheck(substituted.value));

  const order = documentOrder(substituted.value);
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const iss of stableSortByDocument(found, order)) {
    const path = formatPath(iss.path);
    const key = `${path}\u0000${iss.message}`;
    if (seen.has(key) || (underEnvIssue(path) && !substituted.issues.includes(iss))) continue;
    seen.add(key);
    issues.push({ path, message: iss.message });
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, sourceName);
  return result.data;
}

interface PathIssue {
  path: PropertyKey[];
  message: string;
}

/** Pre-order position of every path in the tree, so issues can be listed in file order. */
function documentOrder(root: unknown): Map<string, number> {
  const order = new Map<string, number>();
  const visit = (v: unknown, path: PropertyKey[]) => {
    order.set(formatPath(path), order.size);
    if (Array.isArray(v)) v.forEach((c, i) => visit(c, [...path, i]));
    else if (typeof v === 'object' && v !== null) for (const [k, c] of Object.entries(v)) visit(c, [...path, k]);
  };
  visit(root, []);
  return order;
}

/** Issues at a path that does not exist (a missing key) sort with their nearest existing parent. */
function stableSortByDocument(issues: PathIssue[], order: Map<string, number>): PathIssue[] {
  const rank = (path: PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const r = order.get(formatPath(path.slice(0, n)));
      if (r !== undefined) return r;
    }
    return 0;
  };
  return issues
    .map((iss, i) => ({ iss, i, r: rank(iss.path) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.iss);
}

function fromZodIssue(iss: z.core.$ZodIssue): PathIssue[] {
  if (iss.code === 'unrecognized_keys') {
    return iss.keys.map((key) => {
      const hint = suggestKey(key, knownKeysAt(iss.path));
      return { path: [...iss.path, key], message: hint ? `unknown key (did you mean "${hint}"?)` : 'unknown key' };
    });
  }
  if (iss.code === 'invalid_key') {
    const inner = iss.issues[0]?.message ?? iss.message;
    return [{ path: iss.path, message: `invalid key: ${inner}` }];
  }
  return [{ path: iss.path, message: iss.message }];
}

function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  const [section, , sub, index] = path;
  if (path.length === 0) return KNOWN_KEYS.root;
  if (path.length === 1 && section === 'server') return KNOWN_KEYS.server;
  if (path.length === 1 && section === 'logging') return KNOWN_KEYS.logging;
  if (path.length === 1 && section === 'sharedState') return KNOWN_KEYS.sharedState;
  if (path.length === 1 && section === 'limits') return KNOWN_KEYS.limits;
  if (path.length === 1 && section === 'filters') return KNOWN_KEYS.filters;
  if (section === 'server' && path.length === 2 && path[1] === 'auth') return KNOWN_KEYS.auth;
  if (section === 'server' && path.length === 2 && path[1] === 'cors') return KNOWN_KEYS.cors;
  if (section === 'server' && path.length === 4 && path[1] === 'auth' && path[2] === 'keys') return KNOWN_KEYS.apiKey;
  if (section !== 'chains') return [];
  if (path.length === 2) return KNOWN_KEYS.chain;
  if (path.length === 3 && sub === 'breaker') return KNOWN_KEYS.breaker;
  if (path.length === 3 && sub === 'getLogs') return KNOWN_KEYS.getLogs;
  if (path.length === 3 && sub === 'cache') return KNOWN_KEYS.cache;
  if (path.length === 4 && sub === 'providers' && typeof index === 'number') return KNOWN_KEYS.provider;
  return [];
}

/** A known key the user probably meant: same letters ignoring case/-/_, or within 2 edits. */
function suggestKey(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => norm(k) === norm(key));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDist = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDist && d <= Math.floor(k.length / 2)) {
      best = k;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
