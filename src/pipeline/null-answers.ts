import type { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { ChainView } from '../providers/chain-view.js';
import type { ProviderRuntime } from '../providers/provider.js';
import type { BlockTarget } from './block-target.js';

/**
 * What a null (or, for log queries, empty) answer means:
 * - `final`: the answer stands (the provider is in sync and the data does not exist);
 * - `behind`: the provider is below the chain head or the requested block, so the data may exist
 *   where it has not arrived yet: ask a provider that has the head before answering null;
 * - `propagating`: a block the chain already has (by number at or below the head, or by hash,
 *   since a faster provider may have announced it): also worth asking again shortly, as providers
 *   import a new block a few ms apart.
 */
export type NullVerdict = 'final' | 'behind' | 'propagating';

/** Lookups whose null or empty answer depends on how far the provider has synced. */
const LOOKUPS: ReadonlySet<string> = new Set([
  'eth_getTransactionReceipt',
  'eth_getTransactionByHash',
  'eth_getBlockByHash',
  'eth_getBlockByNumber',
  'eth_getBlockReceipts',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getBlockTransactionCountByHash',
  'eth_getBlockTransactionCountByNumber',
  'eth_getUncleByBlockHashAndIndex',
  'eth_getUncleByBlockNumberAndIndex',
  'eth_getLogs',
]);

/** Methods that name a block (by number or hash) rather than a transaction. */
const BLOCK_LOOKUPS: ReadonlySet<string> = new Set(['eth_getBlockByHash', 'eth_getBlockByNumber', 'eth_getBlockReceipts']);

export function isEmptyAnswer(method: string, result: Pick<ResultBytes, 'isNull' | 'isEmptyArray'>): boolean {
  return result.isNull || (method === 'eth_getLogs' && result.isEmptyArray);
}

export function nullVerdict(method: string, target: BlockTarget, provider: ProviderRuntime, view: ChainView): NullVerdict {
  if (!LOOKUPS.has(method)) return 'final';
  const own = provider.head.number;
  const head = view.answerHead();
  if (target.kind === 'number') {
    if (BLOCK_LOOKUPS.has(method) && head !== undefined && target.number <= head) return 'propagating';
    if (own === undefined || own < target.number) return 'behind';
  }
  if (head !== undefined && (own === undefined || own < head)) return 'behind';
  if (target.kind === 'hash' && BLOCK_LOOKUPS.has(method)) return 'propagating';
  return 'final';
}

/**
 * A block by number at or below the head Lasso has answered with: a client may have been told it
 * exists, so a provider saying it lacks it is behind, not right.
 */
export function isAnsweredBlock(target: BlockTarget, view: ChainView): boolean {
  const head = view.answerHead();
  return target.kind === 'number' && head !== undefined && target.number <= head;
}
