import { ChainCache } from './chain-cache.js';
import type { CacheChain, ChainCacheDeps } from './chain-cache.js';
import type { CacheOptions } from './options.js';

const caches = new WeakMap<CacheChain, ChainCache>();

/** Gives a chain its response cache (at start, once per chain); a disabled cache is not made. */
export function attachCache(chain: CacheChain, options: CacheOptions, deps: ChainCacheDeps): ChainCache | undefined {
  caches.get(chain)?.close();
  caches.delete(chain);
  if (!options.enabled) return undefined;
  const cache = new ChainCache(chain, options, deps);
  caches.set(chain, cache);
  return cache;
}

/** The chain's response cache; undefined when it has none (disabled, or a chain built without one, as in unit tests). */
export function cacheOf(chain: CacheChain): ChainCache | undefined {
  return caches.get(chain);
}

/** Removes the chain's cache (at shutdown). */
export function detachCache(chain: CacheChain): void {
  caches.get(chain)?.close();
  caches.delete(chain);
}
