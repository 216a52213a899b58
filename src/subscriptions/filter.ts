/**
 * eth_subscribe parameters: which kinds Lasso serves, logs filter validation and normalisation,
 * the canonical key that lets client subscriptions share one upstream subscription, and log
 * matching (geth semantics).
 */
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import type { SubscriptionKind } from './types.js';

export const SUBSCRIPTION_KINDS: readonly SubscriptionKind[] = ['newHeads', 'logs', 'newPendingTransactions'];

/**
 * A logs filter in canonical form: addresses lowercased, deduplicated and sorted (undefined =
 * any); topics lowercased, `null` = wildcard at that position, OR-lists deduplicated and sorted
 * (a one-element list becomes the plain topic, a list containing null or empty becomes a
 * wildcard), trailing wildcards trimmed (undefined when nothing is left).
 */
export interface NormalizedLogFilter {
  address?: string[];
  topics?: (string | string[] | null)[];
}

/** What one eth_subscribe asks for, validated. */
export type SubscriptionRequest =
  | { kind: 'newHeads'; key: string }
  | { kind: 'logs'; key: string; filter: NormalizedLogFilter }
  | { kind: 'newPendingTransactions'; key: string; fullTransactions: boolean };

/** geth's limit: at most four topic positions (LOG0..LOG4 carry up to four topics). */
const MAX_TOPICS = 4;
/** Keys a logs subscription filter may carry. Block ranges make no sense for a live stream. */
const FILTER_KEYS = new Set(['address', 'topics']);
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const TOPIC = /^0x[0-9a-fA-F]{64}$/;

function invalid(message: string): RpcError {
  return new RpcError(RpcErrorCode.InvalidParams, message);
}

/**
 * Validates eth_subscribe's kind and remaining params. Throws RpcError(-32602) with a message
 * that says what is wrong and what is accepted.
 */
export function parseSubscriptionRequest(kind: unknown, params: readonly unknown[]): SubscriptionRequest {
  switch (kind) {
    case 'newHeads':
      if (params.some((p) => p !== undefined && p !== null && !isEmptyObject(p))) throw invalid('newHeads takes no parameters');
      return { kind: 'newHeads', key: 'newHeads' };
    case 'logs': {
      if (params.length > 1) throw invalid('logs takes one parameter: a filter object { address?, topics? }');
      const filter = normalizeLogFilter(params[0]);
      return { kind: 'logs', key: logsKey(filter), filter };
    }
    case 'newPendingTransactions': {
      const full = params[0];
      if (params.length > 1 || (full !== undefined && full !== null && typeof full !== 'boolean')) {
        throw invalid('newPendingTransactions takes one optional boolean parameter (full transactions)');
      }
      const fullTransactions = full === true;
      return { kind: 'newPendingTransactions', key: fullTransactions ? 'newPendingTransactions:full' : 'newPendingTransactions', fullTransactions };
    }
    default:
      throw invalid(
        `unsupported subscription type ${typeof kind === 'string' ? JSON.stringify(kind.slice(0, 64)) : typeof kind}; expected one of ${SUBSCRIPTION_KINDS.join(', ')}`,
      );
  }
}

/** Validates and normalises a logs filter (see NormalizedLogFilter). `undefined`/`null` means every log. */
export function normalizeLogFilter(input: unknown): NormalizedLogFilter {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw invalid('logs filter must be an object { address?, topics? }');
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!FILTER_KEYS.has(key)) {
      throw invalid(`logs filter: unsupported field ${JSON.stringify(key.slice(0, 64))} (a subscription only takes address and topics)`);
    }
  }
  const out: NormalizedLogFilter = {};
  const address = normalizeAddresses(raw.address);
  if (address !== undefined) out.address = address;
  const topics = normalizeTopics(raw.topics);
  if (topics !== undefined) out.topics = topics;
  return out;
}

function normalizeAddresses(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const out = new Set<string>();
  list.forEach((a, i) => {
    if (typeof a !== 'string' || !ADDRESS.test(a)) {
      throw invalid(`logs filter: address${Array.isArray(value) ? `[${i}]` : ''} must be a 20-byte hex string (0x + 40 hex digits)`);
    }
    out.add(a.toLowerCase());
  });
  // geth: an empty address list matches every address.
  return out.size === 0 ? undefined : [...out].sort();
}

function normalizeTopics(value: unknown): (string | string[] | null)[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid('logs filter: topics must be an array');
  if (value.length > MAX_TOPICS) throw invalid(`logs filter: at most ${MAX_TOPICS} topic positions, got ${value.length}`);
  const out: (string | string[] | null)[] = value.map((position, i) => {
    if (position === null || position === undefined) return null;
    if (typeof position === 'string') return topic(position, `topics[${i}]`);
    if (!Array.isArray(position)) throw invalid(`logs filter: topics[${i}] must be null, a topic or a list of topics`);
    const set = new Set<string>();
    for (let j = 0; j < position.length; j++) {
      const t = position[j];
      // geth: a null inside an OR-list matches anything at that position.
      if (t === null) return null;
      if (typeof t !== 'string') throw invalid(`logs filter: topics[${i}][${j}] must be a topic or null`);
      set.add(topic(t, `topics[${i}][${j}]`));
    }
    if (set.size === 0) return null;
    const sorted = [...set].sort();
    return sorted.length === 1 ? (sorted[0] as string) : sorted;
  });
  while (out.length > 0 && out[out.length - 1] === null) out.pop();
  return out.length === 0 ? undefined : out;
}

function topic(value: string, where: string): string {
  if (!TOPIC.test(value)) throw invalid(`logs filter: ${where} must be a 32-byte hex string (0x + 64 hex digits)`);
  return value.toLowerCase();
}

/** The canonical key of a logs filter: equal filters (after normalisation) share one upstream subscription. */
export function logsKey(filter: NormalizedLogFilter): string {
  return `logs:${JSON.stringify({ address: filter.address ?? null, topics: filter.topics ?? null })}`;
}

/** The filter as sent upstream (eth_subscribe / eth_getLogs): a single address is sent as a string. */
export function upstreamFilter(filter: NormalizedLogFilter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (filter.address) out.address = filter.address.length === 1 ? filter.address[0] : filter.address;
  if (filter.topics) out.topics = filter.topics;
  return out;
}

/** Whether a log (as a node returns it) matches a normalised filter. */
export function logMatches(log: { address?: unknown; topics?: unknown }, filter: NormalizedLogFilter): boolean {
  if (filter.address) {
    if (typeof log.address !== 'string' || !filter.address.includes(log.address.toLowerCase())) return false;
  }
  if (filter.topics) {
    const topics = Array.isArray(log.topics) ? log.topics : [];
    for (let i = 0; i < filter.topics.length; i++) {
      const want = filter.topics[i];
      if (want === null || want === undefined) continue;
      const got = topics[i];
      if (typeof got !== 'string') return false;
      const g = got.toLowerCase();
      if (typeof want === 'string' ? want !== g : !want.includes(g)) return false;
    }
  }
  return true;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
