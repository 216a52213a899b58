import type { ExpiryListener, FilterRecord, FilterStore } from './filter-record.js';

export interface MemoryFilterStoreOptions {
  idleTimeoutMs: number;
  onExpired?: ExpiryListener;
  /** @default Date.now */
  now?: () => number;
}

/** Longest pause between two sweeps of expired filters, in ms (the gauge of installed filters follows them). */
const MAX_SWEEP_INTERVAL_MS = 30_000;

/** Filters in this process's memory (no shared state configured). */
export class MemoryFilterStore implements FilterStore {
  private readonly filters = new Map<string, { record: FilterRecord; expiresAt: number }>();
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: MemoryFilterStoreOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.max(100, Math.min(MAX_SWEEP_INTERVAL_MS, options.idleTimeoutMs / 4)));
    this.sweeper.unref();
  }

  async create(record: FilterRecord, maxPerOwner: number): Promise<boolean> {
    this.sweep();
    const owned = this.byOwner.get(record.owner) ?? new Set<string>();
    if (owned.size >= maxPerOwner) return false;
    owned.add(record.id);
    this.byOwner.set(record.owner, owned);
    this.filters.set(record.id, { record, expiresAt: this.now() + this.options.idleTimeoutMs });
    return true;
  }

  async touch(id: string): Promise<FilterRecord | undefined> {
    const entry = this.filters.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.expire(entry.record);
      return undefined;
    }
    entry.expiresAt = this.now() + this.options.idleTimeoutMs;
    return entry.record;
  }

  async save(record: FilterRecord, previous: FilterRecord): Promise<boolean> {
    const entry = this.filters.get(record.id);
    if (entry === undefined || entry.record !== previous) return false;
    entry.record = record;
    return true;
  }

  async remove(id: string): Promise<FilterRecord | undefined> {
    const entry = this.filters.get(id);
    if (entry === undefined) return undefined;
    this.forget(entry.record);
    if (entry.expiresAt <= this.now()) {
      this.options.onExpired?.(entry.record);
      return undefined;
    }
    return entry.record;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    for (const { record, expiresAt } of this.filters.values()) if (expiresAt <= now) this.expire(record);
  }

  private expire(record: FilterRecord): void {
    this.forget(record);
    this.options.onExpired?.(record);
  }

  private forget(record: FilterRecord): void {
    this.filters.delete(record.id);
    const owned = this.byOwner.get(record.owner);
    owned?.delete(record.id);
    if (owned?.size === 0) this.byOwner.delete(record.owner);
  }
}
