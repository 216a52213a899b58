/** Human summary of a valid config, for `lasso check-config FILE`. URLs are always redacted. */
import { redactUrl } from './redact.js';
import type { LassoConfig, RateLimitConfig } from './schema.js';

export function summarizeConfig(config: LassoConfig): string {
  const chains = Object.entries(config.chains);
  const providerCount = chains.reduce((n, [, c]) => n + c.providers.length, 0);
  const s = config.server;
  const lines = [
    `config OK: ${chains.length} chain${chains.length === 1 ? '' : 's'}, ${providerCount} provider${providerCount === 1 ? '' : 's'}`,
    `server: ${s.host}:${s.port} (maxBodyBytes ${s.maxBodyBytes}, maxBatchSize ${s.maxBatchSize}, requestTimeoutMs ${s.requestTimeoutMs})`,
    `logging: level ${config.logging.level}`,
    ...frontDoorLines(config),
  ];
  for (const [name, c] of chains) {
    lines.push(
      `chain ${name} (chainId ${c.chainId}): strategy ${c.defaultStrategy}, maxAttempts ${c.maxAttempts}, maxLagBlocks ${c.maxLagBlocks}, headPollIntervalMs ${c.headPollIntervalMs}`,
    );
    const b = c.breaker;
    lines.push(
      `  breaker: thresholds timeout ${b.timeoutThreshold} / network ${b.networkThreshold} / other ${b.otherThreshold}, recovery ${b.recoveryMs}..${b.maxRecoveryMs} ms, ${b.successesToClose} successes to close`,
    );
    const overrides = Object.entries(c.methodTimeoutsMs);
    if (overrides.length > 0) lines.push(`  method timeouts: ${overrides.map(([m, t]) => `${m}=${t}ms`).join(', ')}`);
    for (const p of c.providers) {
      const flags = [`priority ${p.priority}`, `maxConcurrent ${p.maxConcurrent}`, ...(p.archive ? ['archive'] : [])].join(', ');
      lines.push(`  provider ${p.id}: ${redactUrl(p.url)}${p.wsUrl ? ` | ws ${redactUrl(p.wsUrl)}` : ''} (${flags})`);
    }
  }
  return lines.join('\n');
}

/** Keys are shown by id only; the key values, the admin key and the Redis URL's password never are. */
function frontDoorLines(config: LassoConfig): string[] {
  const lines: string[] = [];
  const auth = config.server.auth;
  const limit = (l: RateLimitConfig | undefined) => (l === undefined ? 'unlimited' : `${l.requestsPerSecond} req/s, burst ${l.burst}`);
  if (auth === undefined) lines.push('auth: open (no keys, no limits)');
  else {
    lines.push(
      `auth: ${auth.keys.length} key${auth.keys.length === 1 ? '' : 's'}, anonymous ${auth.anonymous ? `allowed (${limit(auth.anonymousRateLimit)} per IP)` : 'refused'}, admin key ${auth.adminKey === undefined ? 'not set (admin endpoints open)' : 'set'}`,
    );
    for (const k of auth.keys) {
      const rules = [
        limit(k.rateLimit),
        ...(k.methods?.allow ? [`allow ${k.methods.allow.join(' ')}`] : []),
        ...(k.methods && k.methods.deny.length > 0 ? [`deny ${k.methods.deny.join(' ')}`] : []),
        ...(k.chains ? [`chains ${k.chains.join(' ')}`] : []),
        ...(k.allowedOrigins ? [`origins ${k.allowedOrigins.join(' ')}`] : []),
      ];
      lines.push(`  key ${k.id}: ${rules.join(', ')}`);
    }
    const costs = Object.entries(auth.methodCosts);
    if (costs.length > 0) lines.push(`  method costs: ${costs.map(([m, c]) => `${m}=${c}`).join(', ')}`);
  }
  if (config.server.cors.allowedOrigins.length > 0) lines.push(`cors: ${config.server.cors.allowedOrigins.join(' ')}`);
  const redis = config.sharedState.redis;
  if (redis) lines.push(`shared state: redis ${redactUrl(redis.url)} (when unreachable: ${redis.whenUnreachable === 'local' ? 'local limits' : 'reject'})`);
  return lines;
}
