const HEX = /^0x[0-9a-fA-F]*$/;

/**
 * The cache key of a request: its method and its params (tags already replaced by numbers) as
 * canonical JSON: object members sorted, hex strings lower-cased (hex is case-insensitive), so
 * that the same read written differently by two clients is one entry.
 */
export function cacheKey(method: string, params: unknown): string {
  return `${method}:${JSON.stringify(canonical(params ?? []))}`;
}

function canonical(value: unknown): unknown {
  if (typeof value === 'string') return HEX.test(value) ? value.toLowerCase() : value;
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
