/**
 * Config reload: read the file again, validate it, and apply what can change while serving —
 * keys, limits, CORS and the admin key, and the providers of every running chain.
 * What cannot change without a restart (listen address, chains added or removed, shared state) is
 * named in the answer and left as it runs. An invalid file changes nothing and lists every problem.
 */
import { ConfigError } from './config/index.js';
import type { ChainConfig, ConfigIssue, LassoConfig } from './config/index.js';
import type { FrontDoor } from './front-door/front-door.js';
import type { Logger } from './observability/logger.js';
import type { ChainRegistry } from './providers/chain-registry.js';

export interface ReloadTargets {
  frontDoor: FrontDoor;
  chains: ChainRegistry;
  logger: Logger;
}

export type ReloadOutcome = { ok: true; config: LassoConfig; changes: string[] } | { ok: false; problems: ConfigIssue[] };

export async function reloadConfig(current: LassoConfig, load: (() => Promise<LassoConfig>) | undefined, targets: ReloadTargets): Promise<ReloadOutcome> {
  if (!load) return { ok: false, problems: [{ path: '(file)', message: 'this Lasso was not started from a config file; nothing to reload' }] };
  let next: LassoConfig;
  try {
    next = await load();
  } catch (err) {
    const problems = err instanceof ConfigError ? err.issues : [{ path: '(file)', message: err instanceof Error ? err.message : 'cannot read config' }];
    targets.logger.error({ problems }, 'config reload refused: the running config is kept');
    return { ok: false, problems };
  }
  const changes: string[] = [];
  if (!sameJson(current.server.auth, next.server.auth) || !sameJson(current.server.cors, next.server.cors)) {
    targets.frontDoor.reload({ auth: next.server.auth, cors: next.server.cors });
    changes.push('keys, limits, CORS and admin key applied');
  }
  const restartOnly: string[] = [];
  const chains: Record<string, ChainConfig> = { ...current.chains };
  for (const [name, running] of Object.entries(current.chains)) {
    const wanted = next.chains[name];
    const runtime = targets.chains.resolve(name);
    if (wanted === undefined || runtime === undefined) continue;
    if (!sameJson(running.providers, wanted.providers)) {
      const applied = runtime.applyProviders(wanted.providers);
      chains[name] = { ...running, providers: wanted.providers };
      for (const [what, ids] of Object.entries(applied)) if (ids.length > 0) changes.push(`${name}: providers ${what} ${ids.join(', ')}`);
    }
    if (!sameJson({ ...running, providers: [] }, { ...wanted, providers: [] })) restartOnly.push(`chains.${name} settings other than providers`);
  }
  if (current.server.host !== next.server.host || current.server.port !== next.server.port) restartOnly.push('server listen address');
  if (!sameJson(current.sharedState, next.sharedState)) restartOnly.push('sharedState');
  const before = Object.keys(current.chains).sort().join(',');
  const after = Object.keys(next.chains).sort().join(',');
  if (before !== after) restartOnly.push('chains added or removed');
  // Applied changes win over the old config; restart-only parts keep running as they started.
  const applied: LassoConfig = { ...next, server: { ...current.server, auth: next.server.auth, cors: next.server.cors }, sharedState: current.sharedState, chains };
  if (restartOnly.length > 0) changes.push(`needs a restart (kept as running): ${restartOnly.join(', ')}`);
  targets.logger.info({ changes }, 'config reloaded');
  return { ok: true, config: applied, changes };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
