import type { CapabilityMemory } from '../resilience/index.js';
import type { ProviderRuntime } from './provider.js';

/** Which blocks a provider can serve, and how Lasso knows. */
export interface ServableRange {
  /** Lowest block it serves; 0 for an archive node, undefined when nothing is known (assumed all). */
  oldestBlock: number | undefined;
  /**
   * `archive`: configured as archive; `config`: its configured oldestBlock; `learned`: from its
   * answers (pruned-history errors), above any configured floor; `unknown`: nothing said otherwise.
   */
  source: 'archive' | 'config' | 'learned' | 'unknown';
}

/**
 * The blocks a provider can serve: an archive provider all of them; otherwise from the higher of
 * its configured oldestBlock and the floor learned from its answers.
 */
export function servableRange(provider: ProviderRuntime, capabilities: CapabilityMemory): ServableRange {
  if (provider.archive) return { oldestBlock: 0, source: 'archive' };
  const configured = provider.config.oldestBlock;
  const learned = capabilities.learnedOldestBlock(provider.id);
  if (learned !== undefined && (configured === undefined || learned > configured)) return { oldestBlock: learned, source: 'learned' };
  return configured === undefined ? { oldestBlock: undefined, source: 'unknown' } : { oldestBlock: configured, source: 'config' };
}

/** Whether the provider is believed to hold this block's history (true when nothing says otherwise). */
export function servesBlock(provider: ProviderRuntime, capabilities: CapabilityMemory, number: number): boolean {
  const { oldestBlock } = servableRange(provider, capabilities);
  return oldestBlock === undefined || number >= oldestBlock;
}
