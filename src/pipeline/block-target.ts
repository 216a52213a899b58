/**
 * Which block a request is about, and moving tags made fixed: `latest` (or an omitted block
 * parameter), `safe` and `finalized` are replaced by the number the chain view gives them now, so
 * that a tag means the same block whoever serves it, and a `latest` read is never older than a
 * head a client was already given. `pending` cannot be fixed to a number, but pending state is
 * built on the head: such reads (and eth_fillTransaction, which fills a nonce from it) target the
 * head, so that a provider behind it does not answer with a stale nonce.
 */

/** The block a request reads, as far as routing needs to know it. */
export type BlockTarget =
  /** A block number: only providers whose head reached it have it. `moving` when it came from a tag. */
  | { kind: 'number'; number: number; moving: boolean }
  | { kind: 'hash'; hash: string }
  /** A method that names no block. */
  | { kind: 'none' };

export interface TagHeights {
  latest: number | undefined;
  safe: number | undefined;
  finalized: number | undefined;
}

export interface ResolvedBlock {
  /** The params to send upstream (a copy when a tag was replaced). */
  params: unknown;
  target: BlockTarget;
}

const NONE: BlockTarget = { kind: 'none' };

/**
 * Position of the block parameter, for methods that take one. `omittedIsLatest`: the parameter
 * may be left out and then means `latest` (it is then appended as a number).
 */
const BLOCK_PARAM: ReadonlyMap<string, { index: number; omittedIsLatest: boolean }> = new Map([
  ['eth_getBalance', { index: 1, omittedIsLatest: true }],
  ['eth_getCode', { index: 1, omittedIsLatest: true }],
  ['eth_getTransactionCount', { index: 1, omittedIsLatest: true }],
  ['eth_getStorageAt', { index: 2, omittedIsLatest: true }],
  ['eth_call', { index: 1, omittedIsLatest: true }],
  ['eth_estimateGas', { index: 1, omittedIsLatest: false }],
  ['eth_createAccessList', { index: 1, omittedIsLatest: false }],
  ['eth_getProof', { index: 2, omittedIsLatest: false }],
  ['eth_feeHistory', { index: 1, omittedIsLatest: false }],
  ['eth_getBlockByNumber', { index: 0, omittedIsLatest: false }],
  ['eth_getBlockReceipts', { index: 0, omittedIsLatest: false }],
  ['eth_getBlockTransactionCountByNumber', { index: 0, omittedIsLatest: false }],
  ['eth_getTransactionByBlockNumberAndIndex', { index: 0, omittedIsLatest: false }],
  ['eth_getUncleCountByBlockNumber', { index: 0, omittedIsLatest: false }],
  ['eth_getUncleByBlockNumberAndIndex', { index: 0, omittedIsLatest: false }],
  ['debug_traceCall', { index: 1, omittedIsLatest: false }],
]);

/** Methods whose first parameter is a block hash. */
const BLOCK_HASH_METHODS: ReadonlySet<string> = new Set([
  'eth_getBlockByHash',
  'eth_getBlockTransactionCountByHash',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getUncleCountByBlockHash',
  'eth_getUncleByBlockHashAndIndex',
]);

const QUANTITY = /^0x[0-9a-fA-F]{1,16}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Resolves the request's block parameter against the chain view's tag heights. */
export function resolveBlockTarget(method: string, params: unknown, heights: TagHeights): ResolvedBlock {
  if (method === 'eth_getLogs') return resolveLogsFilter(params, heights);
  if (method === 'eth_fillTransaction') return { params, target: headTarget(heights) };
  if (BLOCK_HASH_METHODS.has(method)) {
    const hash = Array.isArray(params) ? params[0] : undefined;
    return { params, target: typeof hash === 'string' && HASH.test(hash) ? { kind: 'hash', hash } : NONE };
  }
  const spec = BLOCK_PARAM.get(method);
  if (spec === undefined || !Array.isArray(params)) return { params, target: NONE };
  const value: unknown = params[spec.index];
  if (value === 'pending') return { params, target: headTarget(heights) };
  if (value === undefined && params.length === spec.index && spec.omittedIsLatest) {
    return pinned(params, spec.index, heights.latest);
  }
  const resolved = resolveBlockValue(value, heights);
  if (resolved === undefined) return { params, target: NONE };
  if ('hash' in resolved) return { params, target: { kind: 'hash', hash: resolved.hash } };
  if (!resolved.moving) return { params, target: { kind: 'number', number: resolved.number, moving: false } };
  return pinned(params, spec.index, resolved.number);
}

function headTarget(heights: TagHeights): BlockTarget {
  return heights.latest === undefined ? NONE : { kind: 'number', number: heights.latest, moving: true };
}

function pinned(params: readonly unknown[], index: number, number: number | undefined): ResolvedBlock {
  if (number === undefined) return { params, target: NONE };
  const copy = params.slice();
  copy[index] = toQuantity(number);
  return { params: copy, target: { kind: 'number', number, moving: true } };
}

type BlockValue = { number: number; moving: boolean } | { hash: string };

/** A block parameter: a tag, a quantity, or an EIP-1898 object ({ blockNumber } / { blockHash }). */
function resolveBlockValue(value: unknown, heights: TagHeights): BlockValue | undefined {
  if (typeof value === 'string') {
    switch (value) {
      case 'latest':
        return heights.latest === undefined ? undefined : { number: heights.latest, moving: true };
      case 'safe':
        return heights.safe === undefined ? undefined : { number: heights.safe, moving: true };
      case 'finalized':
        return heights.finalized === undefined ? undefined : { number: heights.finalized, moving: true };
      case 'earliest':
        return { number: 0, moving: false };
      default:
        return QUANTITY.test(value) ? { number: Number.parseInt(value, 16), moving: false } : undefined;
    }
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o['blockHash'] === 'string' && HASH.test(o['blockHash'])) return { hash: o['blockHash'] };
    if (typeof o['blockNumber'] === 'string' && QUANTITY.test(o['blockNumber'])) return { number: Number.parseInt(o['blockNumber'], 16), moving: false };
  }
  return undefined;
}

/** eth_getLogs: tags in fromBlock / toBlock become numbers; the target is the range's end. */
function resolveLogsFilter(params: unknown, heights: TagHeights): ResolvedBlock {
  const filter: unknown = Array.isArray(params) ? params[0] : undefined;
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) return { params, target: NONE };
  const f = filter as Record<string, unknown>;
  if (typeof f['blockHash'] === 'string') return { params, target: HASH.test(f['blockHash']) ? { kind: 'hash', hash: f['blockHash'] } : NONE };
  const from = f['fromBlock'] ?? 'latest';
  const to = f['toBlock'] ?? 'latest';
  const fromValue = resolveBlockValue(from, heights);
  const toValue = resolveBlockValue(to, heights);
  if (fromValue === undefined || toValue === undefined || 'hash' in fromValue || 'hash' in toValue) return { params, target: NONE };
  if (!fromValue.moving && !toValue.moving) return { params, target: { kind: 'number', number: toValue.number, moving: false } };
  const copy = { ...f, fromBlock: toQuantity(fromValue.number), toBlock: toQuantity(toValue.number) };
  return { params: [copy, ...(params as unknown[]).slice(1)], target: { kind: 'number', number: toValue.number, moving: true } };
}

/** The last number converted: most requests ask for the head, which changes once a block. */
let lastNumber = -1;
let lastQuantity = '';

export function toQuantity(n: number): string {
  if (n !== lastNumber) {
    lastQuantity = `0x${n.toString(16)}`;
    lastNumber = n;
  }
  return lastQuantity;
}
