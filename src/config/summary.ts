/** Human summary of a valid config, for `lasso check-config FILE`. URLs are always redacted. */
import { redactUrl } from './redact.js';
import type { LassoConfig } from './schema.js';

export function summarizeConfig(config: LassoConfig): string {
  const chains = Object.entries(config.chains);
  const providerCount = chains.reduce((n, [, c]) => n + c.providers.length, 0);
  const s = config.server;
  const lines = [
    `config OK: ${chains.length} chain${chains.length === 1 ? '' : 's'}, ${providerCount} provider${providerCount === 1 ? '' : 's'}`,
    `server: ${s.host}:${s.port} (maxBodyBytes ${s.maxBodyBytes}, maxBatchSize ${s.maxBatchSize}, requestTimeoutMs ${s.requestTimeoutMs})`,
    `logging: level ${config.logging.level}`,
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
