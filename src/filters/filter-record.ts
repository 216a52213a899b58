/** What Lasso keeps per installed filter: small enough to live in Redis and be read on every poll. */
import type { DeliveredBlock } from './cursor.js';
import type { LogCriteria } from './log-criteria.js';

/** blocks: eth_newBlockFilter; logs: eth_newFilter; pending: eth_newPendingTransactionFilter. */
export type FilterKind = 'blocks' | 'logs' | 'pending';

export interface FilterRecord {
  /** Lasso's own id: a random 16-byte hex quantity. */
  id: string;
  chain: string;
  /** Whose filter it is (API key or client address): the per-client limit counts by it. */
  owner: string;
  kind: FilterKind;
  /** eth_newFilter's criteria (logs filters only). */
  criteria?: LogCriteria;
  /** Recent delivered blocks, oldest first (see cursor.ts); empty for pending filters. */
  window: DeliveredBlock[];
}

/** Where installed filters are kept; every read refreshes the filter's idle timer. */
export interface FilterStore {
  /** Installs the filter unless its owner already has `maxPerOwner` installed; false when it has. */
  create(record: FilterRecord, maxPerOwner: number): Promise<boolean>;
  /** The filter, with its idle timer restarted; undefined when unknown or expired. */
  touch(id: string): Promise<FilterRecord | undefined>;
  /**
   * Stores the filter's new position if it is still installed and still at `previous` (as `touch`
   * returned it). False when another poll moved it meanwhile (it delivered these changes), or the
   * filter was uninstalled or expired.
   */
  save(record: FilterRecord, previous: FilterRecord): Promise<boolean>;
  /** Uninstalls; returns what was removed (undefined when unknown or expired). */
  remove(id: string): Promise<FilterRecord | undefined>;
  close(): void;
}

/** Told of each filter that expired (for the metrics). */
export type ExpiryListener = (filter: { chain: string; kind: FilterKind }) => void;
