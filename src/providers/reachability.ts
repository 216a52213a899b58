import type { Logger } from '../observability/logger.js';
import type { ProviderRuntime } from './provider.js';

/** Whether a provider answers Lasso's probes, as health and logs need to know it. */
export interface ProviderReachability {
  /** False once a probe failed, until one succeeds again; true before the first probe settles. */
  reachable: boolean;
  /** Why the last probe failed (no URL in it), while unreachable. */
  lastError: string | undefined;
}

/**
 * Reads a provider's reachability from its head probes (the head tracker polls every provider at
 * start and on an interval, traffic or not). The one place health and logs ask, so that another
 * source of probes can replace the head tracker without touching them.
 */
export function providerReachability(provider: ProviderRuntime): ProviderReachability {
  const lastError = provider.head.lastError;
  return { reachable: lastError === undefined, lastError };
}

/**
 * Logs a provider becoming unreachable (warn, with its redacted URL and the cause) and reachable
 * again (info): once per change of state, not once per probe.
 */
export class ReachabilityLog {
  private readonly unreachable = new Set<string>();

  constructor(
    private readonly chain: string,
    private readonly logger: Logger,
  ) {}

  /** Call after every probe of `provider`. */
  update(provider: ProviderRuntime): void {
    const { reachable, lastError } = providerReachability(provider);
    const known = this.unreachable.has(provider.id);
    if (!reachable && !known) {
      this.unreachable.add(provider.id);
      this.logger.warn({ chain: this.chain, provider: provider.id, endpoint: provider.displayUrl, cause: lastError }, 'provider unreachable');
    } else if (reachable && known) {
      this.unreachable.delete(provider.id);
      this.logger.info({ chain: this.chain, provider: provider.id, endpoint: provider.displayUrl }, 'provider reachable again');
    }
  }
}
