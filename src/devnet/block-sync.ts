import { keccak256, toHex } from 'viem';
import type { Hex } from 'viem';
import { AnvilRpcError, DivergenceError } from './errors.js';
import type { CanonicalBlock, ReadonlyGroundTruth } from './ground-truth.js';
import type { DevnetNode } from './node.js';

/** The fields of an anvil block the devnet reads. */
export interface AnvilBlock {
  hash: Hex;
  parentHash: Hex;
  number: Hex;
  timestamp: Hex;
  transactions: Array<Hex | { hash: Hex }>;
}

/** A transaction found in a node's pool. */
export interface PooledTx {
  hash: Hex;
  raw: Hex;
}

/** Receives signed transactions that reached a node outside the lockstep (they go to the next block). */
export type CarryFn = (raws: Hex[]) => void;

type PoolContent = Record<'pending' | 'queued', Record<string, Record<string, { hash: Hex; nonce: Hex }>>>;

export function txHashesOf(block: AnvilBlock): Hex[] {
  return block.transactions.map((t) => (typeof t === 'string' ? t : t.hash));
}

export function rawTxHash(raw: Hex): Hex {
  return keccak256(raw);
}

/** Sets the block's base fee and mines one block at exactly `timestamp`. */
export async function mineOn(node: DevnetNode, baseFeePerGas: bigint, timestamp: number): Promise<AnvilBlock> {
  // anvil would otherwise derive the fee from its own parent, which after a rollback is the
  // orphaned tip's: setting it explicitly keeps every node and every replay identical.
  await node.call('anvil_setNextBlockBaseFeePerGas', [toHex(baseFeePerGas)]);
  const mined = await node.call<AnvilBlock[]>('evm_mine_detailed', [{ timestamp }]);
  const block = mined[0];
  if (!block) throw new AnvilRpcError('evm_mine_detailed', 0, 'returned no block');
  return block;
}

/** The node's pool (pending and queued), in per-sender nonce order; with `drop`, removes each from the pool. */
export async function readPool(node: DevnetNode, drop: boolean): Promise<PooledTx[]> {
  const status = await node.call<{ pending: Hex; queued: Hex }>('txpool_status');
  if (BigInt(status.pending) + BigInt(status.queued) === 0n) return [];
  const content = await node.call<PoolContent>('txpool_content');
  const hashes: Hex[] = [];
  for (const section of [content.pending, content.queued]) {
    for (const byNonce of Object.values(section ?? {})) {
      const txs = Object.values(byNonce).sort((a, b) => Number(BigInt(a.nonce) - BigInt(b.nonce)));
      hashes.push(...txs.map((t) => t.hash));
    }
  }
  const raws = await rawTransactions(node, hashes);
  // Dropping by hash (never "drop all") so that a transaction arriving meanwhile is not lost.
  if (drop) await node.batch(hashes.map((hash) => ({ method: 'anvil_dropTransaction', params: [hash] })));
  const out: PooledTx[] = [];
  hashes.forEach((hash, i) => {
    const raw = raws[i];
    if (raw) out.push({ hash, raw });
  });
  return out;
}

/** Signed raw transactions by hash (pending or mined), in one batch; undefined where the node has none. */
export async function rawTransactions(node: DevnetNode, hashes: Hex[]): Promise<Array<Hex | undefined>> {
  const results = await node.batch<Hex | null>(hashes.map((hash) => ({ method: 'eth_getRawTransactionByHash', params: [hash] })));
  return results.map((r) => (r.status === 'fulfilled' && r.value ? r.value : undefined));
}

function isAlreadyKnown(err: unknown): boolean {
  return err instanceof AnvilRpcError && /already (known|imported)|known transaction/i.test(err.rpcMessage);
}

/**
 * Sends the block's transactions one by one in block order, so that (with `--order fifo`) the node
 * mines them in that order. A JSON-RPC batch would be faster, but anvil validates batch members
 * concurrently and big batches come out reordered.
 */
async function feedInOrder(node: DevnetNode, rawTxs: Hex[]): Promise<void> {
  for (const raw of rawTxs) {
    try {
      await node.call('eth_sendRawTransaction', [raw]);
    } catch (err) {
      if (!isAlreadyKnown(err)) throw err;
      // It reached the node on its own since the pool was cleared, so it sits too early in the
      // fifo order: take it out and put it back at its place.
      await node.call('anvil_dropTransaction', [rawTxHash(raw)]);
      await node.call('eth_sendRawTransaction', [raw]);
    }
  }
}

/**
 * Makes `node` (whose head must be `block`'s parent) mine exactly `block`: clears its pool, feeds it
 * the block's transactions in block order, sets the base fee and mines at the block's timestamp.
 *
 * A transaction sent straight to this node (e.g. by Lasso) can land in its pool between the
 * clearing and the mining; the block then has an extra transaction (or another order) and another
 * hash. That is repaired here: roll the block back, hand stray transactions to `carry` (they go into
 * the next canonical block) and mine again. Only a mismatch that persists is a divergence.
 */
export async function applyBlock(node: DevnetNode, block: CanonicalBlock, carry: CarryFn, maxAttempts = 5): Promise<void> {
  const expected = new Set(block.txHashes.map((h) => h.toLowerCase()));
  let last: AnvilBlock | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const strays = await readPool(node, true);
    carry(strays.filter((t) => !expected.has(t.hash.toLowerCase())).map((t) => t.raw));
    await feedInOrder(node, block.rawTxs);
    const mined = await mineOn(node, block.baseFeePerGas, block.timestamp);
    if (mined.hash === block.hash) {
      node.head = block.number;
      return;
    }
    last = mined;
    const extra = txHashesOf(mined).filter((h) => !expected.has(h.toLowerCase()));
    const extraRaws = await rawTransactions(node, extra);
    await node.call('anvil_rollback', [1]);
    carry(extraRaws.filter((r): r is Hex => r !== undefined));
  }
  throw new DivergenceError(node.id, block.number, block.hash, last?.hash ?? '(none)', `no match in ${maxAttempts} attempts`);
}

/**
 * Highest block number where the node and the ground truth agree, walking down from the lower of
 * the two heads (a node that was paused or down during a reorg sits on the old branch).
 */
export async function findCommonAncestor(node: DevnetNode, truth: ReadonlyGroundTruth): Promise<{ ancestor: number; nodeHead: number }> {
  const nodeHead = Number(await node.call<Hex>('eth_blockNumber'));
  for (let n = Math.min(nodeHead, truth.head()); n >= 0; n--) {
    const ours = await node.call<AnvilBlock | null>('eth_getBlockByNumber', [toHex(n), false]);
    if (ours && ours.hash === truth.block(n)?.hash) return { ancestor: n, nodeHead };
  }
  const genesis = truth.block(0);
  throw new DivergenceError(node.id, 0, genesis?.hash ?? '(none)', '(other genesis)', 'node was started with other genesis flags');
}
