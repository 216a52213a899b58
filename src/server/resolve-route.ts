import { RpcErrorCode } from '../jsonrpc/errors.js';
import type { ChainRegistry } from '../providers/chain-registry.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import { STRATEGY_NAMES } from '../routing/index.js';
import type { StrategyName } from '../routing/index.js';
import { parseRpcRoute, pathSegments } from './rpc-route.js';

export type ResolvedRoute =
  | { ok: true; chain: ChainRuntime; strategy: StrategyName; pinnedProviderId: string | undefined }
  | { ok: false; code: number; message: string; reason: string };

/** Turns the URL below /rpc (or /ws/rpc) into a chain, a strategy and an optional pinned provider. */
export function resolveRoute(segments: readonly string[], chains: ChainRegistry): ResolvedRoute {
  const route = parseRpcRoute(segments);
  if (!route) {
    return { ok: false, code: RpcErrorCode.InvalidRequest, message: 'expected /rpc/:chain, /rpc/:strategy/:chain or /rpc/provider/:providerId/:chain', reason: 'bad_route' };
  }
  if (route.kind === 'bad_strategy') {
    return { ok: false, code: RpcErrorCode.InvalidParams, message: `unknown strategy "${route.strategy}"; valid: ${STRATEGY_NAMES.join(', ')}`, reason: 'unknown_strategy' };
  }
  const chain = chains.resolve(route.chain);
  if (!chain) {
    const known = chains.all().map((c) => `${c.name} (${c.chainId})`).join(', ');
    return { ok: false, code: RpcErrorCode.InvalidParams, message: `unknown chain "${route.chain}"; configured: ${known}`, reason: 'unknown_chain' };
  }
  if (route.kind === 'pinned') {
    if (!chain.provider(route.providerId)) {
      const known = chain.providers.map((p) => p.id).join(', ');
      return { ok: false, code: RpcErrorCode.InvalidParams, message: `unknown provider "${route.providerId}" on chain ${chain.name}; configured: ${known}`, reason: 'unknown_provider' };
    }
    return { ok: true, chain, strategy: chain.config.defaultStrategy, pinnedProviderId: route.providerId };
  }
  return { ok: true, chain, strategy: route.strategy ?? chain.config.defaultStrategy, pinnedProviderId: undefined };
}

/**
 * Memoises resolveRoute by URL path below /rpc: clients hit a handful of URLs, and resolving one
 * (split, decode, strategy and chain lookups) is avoidable hot-path work. Bounded, so arbitrary
 * URLs cannot grow it.
 */
export class RouteCache {
  private readonly cache = new Map<string, ResolvedRoute>();

  constructor(
    private readonly chains: ChainRegistry,
    private readonly maxEntries = 1024,
  ) {}

  /** `url` is the request URL; its first path segment (`rpc`) and query string are ignored. */
  resolve(url: string): ResolvedRoute {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    let resolved = this.cache.get(path);
    if (!resolved) {
      resolved = resolveRoute(pathSegments(path).slice(1), this.chains);
      if (this.cache.size < this.maxEntries) this.cache.set(path, resolved);
    }
    return resolved;
  }
}
