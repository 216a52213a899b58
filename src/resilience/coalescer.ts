/**
 * Shares one execution among identical in-flight requests. The key must capture everything the
 * answer depends on (method, params, route and the chain head for "latest"-relative reads).
 */
export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Runs `execute` unless an identical request is in flight; then joins it. `joined` tells which. */
  run(key: string, execute: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.inFlight.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = execute().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return { promise, joined: false };
  }

  get size(): number {
    return this.inFlight.size;
  }
}

/** Block tags whose meaning moves faster than a chain head (pending) are never coalesced. */
export function coalescingKey(method: string, params: unknown, routeKey: string, chainHead: number | undefined): string | undefined {
  const paramsJson = params === undefined ? '[]' : JSON.stringify(params);
  if (paramsJson.includes('"pending"')) return undefined;
  return `${routeKey}|${chainHead ?? '-'}|${method}|${paramsJson}`;
}
