/** Blocks as the subscription engine sees them: validated identity plus the header clients get. */

/** One block's identity and the header object delivered to newHeads clients. */
export interface ChainBlock {
  number: number;
  /** Lowercased. */
  hash: string;
  /** Lowercased. */
  parentHash: string;
  /** What a newHeads client receives (see `toHeader`). */
  header: Readonly<Record<string, unknown>>;
}

/** Just the identity of a block (ring entries, reorg notices). */
export interface BlockId {
  number: number;
  hash: string;
}

const HASH = /^0x[0-9a-fA-F]{64}$/;
const QUANTITY = /^0x[0-9a-fA-F]{1,16}$/;

/**
 * Body fields that eth_getBlockByNumber returns but a geth newHeads notification does not carry.
 * Backfilled and live heads are both reduced to the header, so clients see one shape whatever
 * the source (some nodes, anvil among them, put the whole block in newHeads).
 */
const NON_HEADER_FIELDS = ['transactions', 'uncles', 'withdrawals', 'size', 'totalDifficulty'] as const;

/** The newHeads notification shape of a block object (from newHeads or eth_getBlockBy*). */
export function toHeader(block: Record<string, unknown>): Record<string, unknown> {
  const header: Record<string, unknown> = { ...block };
  for (const field of NON_HEADER_FIELDS) delete header[field];
  return header;
}

/** Validates a block/header object from an upstream; undefined when it lacks a usable number, hash or parentHash. */
export function parseBlock(value: unknown): ChainBlock | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const { number, hash, parentHash } = raw;
  if (typeof number !== 'string' || !QUANTITY.test(number)) return undefined;
  if (typeof hash !== 'string' || !HASH.test(hash)) return undefined;
  if (typeof parentHash !== 'string' || !HASH.test(parentHash)) return undefined;
  return { number: Number.parseInt(number, 16), hash: hash.toLowerCase(), parentHash: parentHash.toLowerCase(), header: toHeader(raw) };
}

export function toQuantity(n: number): string {
  return `0x${n.toString(16)}`;
}
