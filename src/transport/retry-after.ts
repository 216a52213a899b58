/**
 * Parses an HTTP Retry-After header (delta-seconds or HTTP-date) into milliseconds from now.
 * Returns undefined for a missing or unparseable value so callers can apply their own default.
 */
export function parseRetryAfter(value: string | string[] | undefined, now?: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - (now ?? Date.now()));
}
