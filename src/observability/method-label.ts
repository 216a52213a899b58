const MAX_METHOD_LABELS = 256;
const methodLabels = new Set<string>();

/**
 * Method names come from clients: bound the metric label set so a client cannot explode
 * cardinality. The first 256 well-formed names get their own label; the rest are "other".
 */
export function metricMethodLabel(method: string): string {
  if (methodLabels.has(method)) return method;
  if (methodLabels.size >= MAX_METHOD_LABELS || !/^[a-z]+_[A-Za-z0-9]{1,48}$/.test(method)) return 'other';
  methodLabels.add(method);
  return method;
}
