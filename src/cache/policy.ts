/**
 * The cache's finality policy: whether an answer may be kept, and for how long, from what it is
 * about and what the chain view knows. A pure function, so every rule is unit-tested.
 *
 * - final data (at or below the finalized height, or by hash once its block is final, and
 *   chain constants): kept until evicted;
 * - unfinalized data: a short TTL, tied to the block (number, hash) it came from so that a reorg
 *   drops it (eth_getLogs only over final ranges);
 * - never: `pending`, writes, filters, subscriptions, methods whose answer is not a function of a
 *   block (gas price, peers...), non-deterministic errors, null or empty answers at or above the head.
 * Moving tags were already replaced by numbers (the request is keyed by what they meant).
 */

/** The block a request reads (the shape of the pipeline's BlockTarget, kept here so the cache depends on nothing above it). */
export type CacheTarget = { kind: 'number'; number: number; moving: boolean } | { kind: 'hash'; hash: string } | { kind: 'none' };

/** What the answer says, as far as finality is concerned. */
export type AnswerFacts =
  | {
      kind: 'result';
      /** JSON null. */
      isNull: boolean;
      /** An empty array. */
      isEmpty: boolean;
      /** The block the answer comes from, when the answer names it (a block, a transaction, a receipt). */
      blockNumber?: number;
      blockHash?: string;
    }
  | { kind: 'error'; deterministic: boolean };

/** The chain view's state the policy reads. */
export interface FinalityView {
  head: number | undefined;
  finalized: number | undefined;
  hashAt(number: number): string | undefined;
}

export type Finality =
  | { kind: 'final' }
  /** `hash`: the block's hash when known; the entry is served only while the view has that hash at `number`. */
  | { kind: 'unfinalized'; number: number; hash?: string; ttlMs: number }
  | { kind: 'never' };

export interface PolicyInput {
  method: string;
  /** The params as sent upstream (tags already replaced by numbers). */
  params: unknown;
  target: CacheTarget;
  answer: AnswerFacts;
  view: FinalityView;
  /** TTL of unfinalized entries, in ms. */
  unfinalizedTtlMs: number;
}

/** Answers that are the same for the whole chain, whatever the block. */
const CHAIN_CONSTANT: ReadonlySet<string> = new Set(['eth_chainId', 'net_version']);

/** Reads whose answer is a function of the block they name (by number, tag or hash). */
const BLOCK_READS: ReadonlySet<string> = new Set([
  'eth_getBalance',
  'eth_getCode',
  'eth_getStorageAt',
  'eth_call',
  'eth_getTransactionCount',
  'eth_getProof',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getBlockReceipts',
  'eth_getBlockTransactionCountByNumber',
  'eth_getBlockTransactionCountByHash',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getUncleCountByBlockNumber',
  'eth_getUncleCountByBlockHash',
  'eth_getUncleByBlockNumberAndIndex',
  'eth_getUncleByBlockHashAndIndex',
  'eth_getLogs',
]);

/** Reads by transaction hash: the answer names the block it was mined in. */
const TRANSACTION_READS: ReadonlySet<string> = new Set(['eth_getTransactionByHash', 'eth_getTransactionReceipt']);

/** Methods whose answer is a block (its number and hash are read off the answer). */
export const BLOCK_ANSWERS: ReadonlySet<string> = new Set(['eth_getBlockByNumber', 'eth_getBlockByHash']);

const NEVER: Finality = { kind: 'never' };
const FINAL: Finality = { kind: 'final' };

/** Whether a request may be looked up at all: a method the cache knows, nothing pending. */
export function isCacheableRequest(method: string, params: unknown, target: CacheTarget): boolean {
  if (CHAIN_CONSTANT.has(method)) return true;
  if (TRANSACTION_READS.has(method)) return true;
  if (!BLOCK_READS.has(method) || target.kind === 'none') return false;
  return !mentionsPending(params);
}

/** What may be done with this answer. */
export function finalityOf(input: PolicyInput): Finality {
  const { method, params, target, answer, view } = input;
  if (!isCacheableRequest(method, params, target)) return NEVER;
  if (answer.kind === 'error') return errorFinality(answer.deterministic, target, input);
  if (CHAIN_CONSTANT.has(method)) return answer.isNull ? NEVER : FINAL;
  const block = blockOf(method, target, answer, view);
  if (block === undefined) return NEVER;
  // Nothing (yet) at or above the head may simply not have arrived.
  if ((answer.isNull || answer.isEmpty) && (view.head === undefined || block.number >= view.head)) return NEVER;
  if (view.finalized !== undefined && block.number <= view.finalized) return FINAL;
  // Logs name many blocks and no one hash to check them by; near the head they are what filters
  // and subscriptions poll for news, which must come from the providers.
  if (method === 'eth_getLogs') return NEVER;
  return { kind: 'unfinalized', number: block.number, ...(block.hash !== undefined && { hash: block.hash }), ttlMs: input.unfinalizedTtlMs };
}

/**
 * A deterministic error (a revert) about a block number is kept like an unfinalized answer, even at
 * a final block: a provider's error text is its own, and a short TTL bounds what a wrong
 * classification can cost. Other errors never.
 */
function errorFinality(deterministic: boolean, target: CacheTarget, input: PolicyInput): Finality {
  if (!deterministic || target.kind !== 'number') return NEVER;
  const hash = input.view.hashAt(target.number);
  return { kind: 'unfinalized', number: target.number, ...(hash !== undefined && { hash }), ttlMs: input.unfinalizedTtlMs };
}

/** The block an answer is about: named by the answer (blocks, transactions, receipts) or by the request. */
function blockOf(
  method: string,
  target: CacheTarget,
  answer: Extract<AnswerFacts, { kind: 'result' }>,
  view: FinalityView,
): { number: number; hash: string | undefined } | undefined {
  if (BLOCK_ANSWERS.has(method) || TRANSACTION_READS.has(method)) {
    if (answer.blockNumber !== undefined) return { number: answer.blockNumber, hash: answer.blockHash };
    // Not found (or not yet: a provider behind), or a transaction not mined yet.
    return undefined;
  }
  // State at a block named only by hash: its height is unknown here, so its finality too.
  if (target.kind !== 'number') return undefined;
  return { number: target.number, hash: view.hashAt(target.number) };
}

function mentionsPending(params: unknown): boolean {
  return params !== undefined && JSON.stringify(params).includes('"pending"');
}
