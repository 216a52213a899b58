import type { Classification } from './classify.js';

export interface CapabilityMemoryOptions {
  /** How long a learned gap is trusted before the provider gets another chance. @default 600_000 */
  ttlMs?: number;
  /**
   * Bound on remembered (provider, method) pairs. Method names come from clients, so an unbounded
   * map would grow with every made-up method; the oldest entries go first. @default 10_000
   */
  maxEntries?: number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

/** Request facts that refine a capability check. */
export interface CapabilityContext {
  /** Blocks spanned by a log query (see `logsRangeSize`); undefined when unknown. */
  rangeSize?: number | undefined;
  /** The block number the request read; undefined when it named none (or a hash). */
  blockNumber?: number | undefined;
  /** The answering provider's head when it answered; undefined when unknown. */
  providerHead?: number | undefined;
}

/**
 * A "block unavailable" answer for a block at least this far below the provider's own head means
 * pruned history; nearer the head it is more likely lag or a reorg, which say nothing about history.
 */
export const PRUNED_MIN_DEPTH = 64;

export interface CapabilityEntrySnapshot {
  providerId: string;
  method: string;
  /** The method is unsupported until this time (ms since epoch). */
  unsupportedUntil: number | undefined;
  /** What was learned about its log ranges, and until when that is trusted. */
  rangeLimit: RangeLimitEntry | undefined;
}

export interface RangeLimitEntry {
  /** Smallest range (blocks) seen failing as too large. */
  failingSize: number;
  /** The limit the provider stated in its refusal, when it did. */
  statedMaxBlocks: number | undefined;
  until: number;
}

interface HistoryFloor {
  /** Lowest block the provider is believed to serve. */
  oldestBlock: number;
  until: number;
}

interface Entry {
  unsupportedUntil: number | undefined;
  rangeLimit: RangeLimitEntry | undefined;
}

/**
 * What each provider cannot do, learned from `capability` errors, per (provider, method), for a TTL.
 *
 * - unsupported method: skip the provider for that method entirely.
 * - range too large (eth_getLogs...): remember the smallest failing range size, and the limit the
 *   refusal states ("up to a 2K block range"), and skip the provider for ranges above either:
 *   the eth_getLogs engine cuts wide ranges to what `logsRangeLimit` says, and asking a provider
 *   for more than it said it takes would only buy another refusal. The real limit may be a
 *   result count rather than a block count, so the failing size is a heuristic that errs
 *   towards trying.
 * - pruned history: a "missing trie node" / "header not found"-style answer for a block well below
 *   the provider's head (PRUNED_MIN_DEPTH) means it no longer holds that block: remember, per
 *   provider, that it serves only the blocks above (see `learnedOldestBlock`); selection asks it
 *   last for older ones rather than never, in case the learning is wrong. Config (the provider's
 *   archive flag, oldestBlock) says it without learning.
 * - unknown block near the head, unsupported params, too large: not remembered. They depend on the
 *   request, not the method; the request fails over and the next request tries again.
 */
export class CapabilityMemory {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  /** By provider id: configured providers only, so bounded by the config. */
  readonly #historyFloors = new Map<string, HistoryFloor>();

  constructor(options: CapabilityMemoryOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 600_000;
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** Learns from a `capability` classification (other classes are ignored). */
  record(providerId: string, method: string, c: Classification, context: CapabilityContext = {}): void {
    if (c.errorClass !== 'capability') return;
    if (c.capabilityKind === 'unsupported_method') this.markUnsupported(providerId, method);
    else if (c.capabilityKind === 'block_unavailable') {
      const { blockNumber, providerHead } = context;
      if (blockNumber !== undefined && providerHead !== undefined && providerHead - blockNumber >= PRUNED_MIN_DEPTH) this.markPrunedBelow(providerId, blockNumber + 1);
    }
    else if (c.capabilityKind === 'range_too_large') {
      const stated = c.rangeLimit?.maxBlocks;
      // What actually failed counts first; a stated limit stands in when the request's size is unknown.
      const failingSize = context.rangeSize ?? (stated === undefined ? undefined : stated + 1);
      if (failingSize !== undefined) this.markRangeTooLarge(providerId, method, failingSize, stated);
    }
  }

  /** The provider does not serve `method`: skip it for that method for the TTL. */
  markUnsupported(providerId: string, method: string): void {
    const entry = this.#take(providerId, method);
    entry.unsupportedUntil = this.#now() + this.#ttlMs;
    this.#put(providerId, method, entry);
  }

  /**
   * A query spanning `rangeSize` blocks was too large: skip ranges at least that large for the TTL.
   * `statedMaxBlocks` is the limit the provider named in its refusal, if any.
   */
  markRangeTooLarge(providerId: string, method: string, rangeSize: number, statedMaxBlocks?: number): void {
    if (!(Number.isFinite(rangeSize) && rangeSize >= 1)) return;
    const entry = this.#take(providerId, method);
    const failingSize = entry.rangeLimit === undefined ? rangeSize : Math.min(entry.rangeLimit.failingSize, rangeSize);
    const stated = statedMaxBlocks ?? entry.rangeLimit?.statedMaxBlocks;
    entry.rangeLimit = { failingSize, statedMaxBlocks: stated, until: this.#now() + this.#ttlMs };
    this.#put(providerId, method, entry);
  }

  /**
   * Largest log range (blocks) this provider is believed to accept for `method`: the limit it
   * stated, but never a range seen failing (a result-count refusal can fail below the stated block
   * limit), else one block less than the smallest range seen failing. Undefined when nothing was
   * learned (or it expired): then nothing is known against asking for any range.
   */
  logsRangeLimit(providerId: string, method: string): number | undefined {
    const limit = this.#live(keyOf(providerId, method))?.rangeLimit;
    if (limit === undefined) return undefined;
    return Math.min(limit.statedMaxBlocks ?? Infinity, limit.failingSize - 1);
  }

  /**
   * A successful answer: a range at least as large as the remembered failing size worked, so the
   * provider's limit changed (or was a result-count limit); forget it.
   */
  recordSuccess(providerId: string, method: string, context: CapabilityContext = {}): void {
    const key = keyOf(providerId, method);
    const entry = this.#entries.get(key);
    if (entry?.rangeLimit === undefined || context.rangeSize === undefined) return;
    if (context.rangeSize >= entry.rangeLimit.failingSize) {
      entry.rangeLimit = undefined;
      if (entry.unsupportedUntil === undefined) this.#entries.delete(key);
    }
  }

  /** Should selection skip this provider for this request? */
  isUnsupported(providerId: string, method: string, context: CapabilityContext = {}): boolean {
    // Asked for every candidate of every request, and nothing is learned on most chains.
    if (this.#entries.size === 0) return false;
    const entry = this.#live(keyOf(providerId, method));
    if (entry === undefined) return false;
    if (entry.unsupportedUntil !== undefined) return true;
    if (entry.rangeLimit === undefined || context.rangeSize === undefined) return false;
    const { failingSize, statedMaxBlocks } = entry.rangeLimit;
    return context.rangeSize >= failingSize || (statedMaxBlocks !== undefined && context.rangeSize > statedMaxBlocks);
  }

  /**
   * The provider lacks history below `oldestBlock` (it answered "pruned" for the block before): for
   * the TTL, it is believed to serve only from there on. Floors only rise: pruning moves forward.
   */
  markPrunedBelow(providerId: string, oldestBlock: number): void {
    const known = this.learnedOldestBlock(providerId);
    this.#historyFloors.set(providerId, { oldestBlock: Math.max(known ?? 0, oldestBlock), until: this.#now() + this.#ttlMs });
  }

  /** Lowest block this provider is believed to serve, as learned from its answers; undefined when nothing is known. */
  learnedOldestBlock(providerId: string): number | undefined {
    const floor = this.#historyFloors.get(providerId);
    if (floor === undefined) return undefined;
    if (floor.until > this.#now()) return floor.oldestBlock;
    this.#historyFloors.delete(providerId);
    return undefined;
  }

  /** Forgets what was learned about a provider (one method, or all). */
  forget(providerId: string, method?: string): void {
    if (method !== undefined) {
      this.#entries.delete(keyOf(providerId, method));
      return;
    }
    this.#historyFloors.delete(providerId);
    for (const key of [...this.#entries.keys()]) if (key.startsWith(`${providerId}\u0000`)) this.#entries.delete(key);
  }

  /** Live (unexpired) entries. */
  snapshot(): CapabilityEntrySnapshot[] {
    this.#pruneExpired();
    const out: CapabilityEntrySnapshot[] = [];
    for (const [key, entry] of this.#entries) {
      const [providerId = '', method = ''] = key.split('\u0000');
      out.push({ providerId, method, unsupportedUntil: entry.unsupportedUntil, rangeLimit: entry.rangeLimit && { ...entry.rangeLimit } });
    }
    return out;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry with its expired parts dropped; undefined (and deleted) when nothing is left. */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (pruneEntry(entry, this.#now())) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #take(providerId: string, method: string): Entry {
    const key = keyOf(providerId, method);
    const entry = this.#entries.get(key) ?? { unsupportedUntil: undefined, rangeLimit: undefined };
    // Re-inserted by #put so the Map's insertion order stays "least recently learned first".
    this.#entries.delete(key);
    return entry;
  }

  #put(providerId: string, method: string, entry: Entry): void {
    this.#entries.set(keyOf(providerId, method), entry);
    if (this.#entries.size > this.#maxEntries) this.#pruneExpired();
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  #pruneExpired(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (!pruneEntry(entry, now)) this.#entries.delete(key);
  }
}

/** Drops the entry's expired parts; returns whether anything is left of it. */
function pruneEntry(entry: Entry, now: number): boolean {
  if (entry.unsupportedUntil !== undefined && entry.unsupportedUntil <= now) entry.unsupportedUntil = undefined;
  if (entry.rangeLimit !== undefined && entry.rangeLimit.until <= now) entry.rangeLimit = undefined;
  return entry.unsupportedUntil !== undefined || entry.rangeLimit !== undefined;
}

function keyOf(providerId: string, method: string): string {
  return `${providerId}\u0000${method}`;
}

const HEAD_TAGS = new Set(['latest', 'pending', 'safe', 'finalized']);

/**
 * Blocks spanned by an eth_getLogs filter (`params` as sent by the client), for range-limit
 * memory. Tags latest/pending/safe/finalized resolve to `head` (an approximation: safe and
 * finalized are a little behind), `earliest` to 0, a missing bound to latest, a `blockHash`
 * filter to 1. Undefined when it cannot be resolved (unknown head, bad params, from > to).
 */
export function logsRangeSize(params: unknown, head: number | undefined): number | undefined {
  const filter = Array.isArray(params) ? params[0] : undefined;
  if (filter === null || typeof filter !== 'object') return undefined;
  const f = filter as Record<string, unknown>;
  if (f['blockHash'] !== undefined) return 1;
  const from = resolveBlock(f['fromBlock'], head);
  const to = resolveBlock(f['toBlock'], head);
  if (from === undefined || to === undefined || to < from) return undefined;
  return to - from + 1;
}

function resolveBlock(tag: unknown, head: number | undefined): number | undefined {
  if (tag === undefined || tag === null) return head;
  if (typeof tag === 'number') return Number.isSafeInteger(tag) && tag >= 0 ? tag : undefined;
  if (typeof tag !== 'string') return undefined;
  if (HEAD_TAGS.has(tag)) return head;
  if (tag === 'earliest') return 0;
  if (!/^0x[0-9a-fA-F]+$/.test(tag)) return undefined;
  const n = Number.parseInt(tag, 16);
  return Number.isSafeInteger(n) ? n : undefined;
}
