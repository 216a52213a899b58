import { isStrategyName } from '../routing/index.js';
import type { StrategyName } from '../routing/index.js';

export type RpcRoute =
  | { kind: 'chain'; chain: string; strategy?: StrategyName }
  | { kind: 'pinned'; chain: string; providerId: string }
  | { kind: 'bad_strategy'; strategy: string };

/**
 * Parses the path below the RPC prefix (`/rpc` or `/ws/rpc`):
 * `/:chain`, `/:strategy/:chain`, `/provider/:providerId/:chain`. Returns undefined for other shapes.
 */
export function parseRpcRoute(segments: readonly string[]): RpcRoute | undefined {
  const parts = segments.map((s) => decodeURIComponent(s));
  if (parts.length === 1 && parts[0]) return { kind: 'chain', chain: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) {
    const strategy = parts[0];
    if (!isStrategyName(strategy)) return { kind: 'bad_strategy', strategy };
    return { kind: 'chain', chain: parts[1], strategy };
  }
  if (parts.length === 3 && parts[0] === 'provider' && parts[1] && parts[2]) {
    return { kind: 'pinned', chain: parts[2], providerId: parts[1] };
  }
  return undefined;
}

/** Splits a URL path into non-empty segments, ignoring the query string and a trailing slash. */
export function pathSegments(url: string): string[] {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.split('/').filter((s) => s.length > 0);
}
