import { LRUCache } from 'lru-cache';
import type { CacheEntry } from './entry.js';

export type StoreRemoval = 'evict' | 'reorg';

export interface MemoryStoreOptions {
  /** Budget of the shared LRU, in bytes. */
  maxBytes: number;
  /** Methods with a budget of their own (exact name -> bytes). */
  methodBudgets: ReadonlyMap<string, number>;
  now: () => number;
  /** Called when an entry is added (for the bytes and entries gauges). */
  onAdd?: (entry: CacheEntry) => void;
  /** Called when an entry leaves, whatever the reason (replaced, expired, evicted, dropped by a reorg). */
  onRemove?: (entry: CacheEntry, reason: StoreRemoval | 'other') => void;
}

/**
 * The in-memory tier: byte-sized LRUs (one shared, one per method with a budget of its own).
 * Unfinalized entries are also indexed so that a reorg drops them without scanning the final
 * ones, and each is checked against the chain view's hash at its height when read.
 */
export class MemoryStore {
  private readonly shared: LRUCache<string, CacheEntry>;
  private readonly byMethod = new Map<string, LRUCache<string, CacheEntry>>();
  /** Keys of unfinalized entries, with the LRU that holds each. */
  private readonly unfinalized = new Map<string, LRUCache<string, CacheEntry>>();
  /** Why the entry now leaving leaves (lru-cache only knows 'evict' | 'delete' | 'set'...). */
  private removing: StoreRemoval | 'other' = 'other';

  constructor(private readonly options: MemoryStoreOptions) {
    this.shared = this.lru(options.maxBytes);
    for (const [method, bytes] of options.methodBudgets) this.byMethod.set(method, this.lru(bytes));
  }

  /**
   * The entry for `key`, unless it expired or the chain view's hash at its height is no longer the
   * one it came from (`hashAt`): such an entry is dropped, never served.
   */
  get(method: string, key: string, hashAt: (number: number) => string | undefined): CacheEntry | undefined {
    const lru = this.lruOf(method);
    const entry = lru.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && this.options.now() >= entry.expiresAt) {
      this.remove(lru, key, 'other');
      return undefined;
    }
    if (entry.unfinalized === undefined) return entry;
    const { number, hash } = entry.unfinalized;
    if (hash !== undefined && hashAt(number) !== hash) {
      this.remove(lru, key, 'reorg');
      return undefined;
    }
    return entry;
  }

  set(method: string, key: string, entry: CacheEntry): void {
    const lru = this.lruOf(method);
    // An entry larger than its whole budget is refused by the LRU (and would evict everything).
    if (entry.bytes > lru.maxSize) return;
    lru.set(key, entry);
    if (entry.unfinalized !== undefined) this.unfinalized.set(key, lru);
    this.options.onAdd?.(entry);
  }

  /** Drops every unfinalized entry; returns how many. */
  dropUnfinalized(): number {
    const dropped = this.unfinalized.size;
    for (const [key, lru] of [...this.unfinalized]) this.remove(lru, key, 'reorg');
    return dropped;
  }

  get entries(): number {
    let n = this.shared.size;
    for (const lru of this.byMethod.values()) n += lru.size;
    return n;
  }

  get bytes(): number {
    let n = this.shared.calculatedSize;
    for (const lru of this.byMethod.values()) n += lru.calculatedSize;
    return n;
  }

  clear(): void {
    this.shared.clear();
    for (const lru of this.byMethod.values()) lru.clear();
  }

  private lruOf(method: string): LRUCache<string, CacheEntry> {
    return this.byMethod.get(method) ?? this.shared;
  }

  private remove(lru: LRUCache<string, CacheEntry>, key: string, reason: StoreRemoval | 'other'): void {
    this.removing = reason;
    try {
      lru.delete(key);
    } finally {
      this.removing = 'other';
    }
  }

  private lru(maxBytes: number): LRUCache<string, CacheEntry> {
    return new LRUCache<string, CacheEntry>({
      maxSize: maxBytes,
      sizeCalculation: (entry) => entry.bytes,
      dispose: (entry, key, reason) => {
        // Runs before a replacing set() indexes its own entry.
        this.unfinalized.delete(key);
        this.options.onRemove?.(entry, reason === 'evict' ? 'evict' : this.removing);
      },
    });
  }
}
