import type { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { JsonRpcErrorObject } from '../jsonrpc/types.js';

/** A cached answer: the result's own bytes (answered without parse or re-serialisation) or an error. */
export type CachedBody = { result: ResultBytes } | { error: JsonRpcErrorObject };

export interface CacheEntry {
  body: CachedBody;
  /** The method's metric label (bounded set). */
  methodLabel: string;
  /** Bytes the entry holds (answer and key), as counted against the budget. */
  bytes: number;
  /** When the entry stops being served (ms, the cache's clock); undefined: until evicted. */
  expiresAt: number | undefined;
  /** Unfinalized entries: the block they came from (dropped when a reorg replaces it). */
  unfinalized?: { number: number; hash: string | undefined };
}

/** Rough bytes of bookkeeping per entry (the entry object, the LRU's slots), so that tiny answers are not counted as free. */
export const ENTRY_OVERHEAD_BYTES = 200;

export function bodyBytes(body: CachedBody): number {
  return 'result' in body ? body.result.byteLength : Buffer.byteLength(JSON.stringify(body.error));
}
