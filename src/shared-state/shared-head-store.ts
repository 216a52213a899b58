/**
 * The highest block each chain has answered with, shared by replicas through Redis, so a client
 * behind a load balancer never sees the head go backwards when its next request lands on another
 * replica.
 *
 * `floor` never waits: it answers from a local copy refreshed in the background when older than
 * `cacheMs`. A request whose answer depends on the head goes further (see ChainView): it first
 * waits for `refreshed` (a read of Redis sent after the request arrived, shared by the requests
 * that arrive meanwhile), and its answer leaves only once `published` says every head this replica
 * noted is in Redis (an atomic max). A client that got head N from one replica has thus put N in
 * Redis before its next request reaches another, which reads it. While Redis is unreachable all of
 * this works on the local copy alone, without waiting.
 */
import type { SharedRedis } from './shared-redis.js';

export interface HeadFloorStore {
  /** Highest head answered for `chain` (by any replica, as last seen); undefined when none yet. */
  floor(chain: string): number | undefined;
  /** This replica answered `chain` with block `number`. */
  noteAnswered(chain: string, number: number): void;
  /** Resolves once the local copy holds at least what Redis held when this was called. */
  refreshed(chain: string): Promise<void>;
  /** Resolves once every head noted so far for `chain` is in Redis (or writing it failed). */
  published(chain: string): Promise<void>;
}

export interface SharedHeadStoreOptions {
  /** Age after which the local copy is refreshed from Redis, in ms. @default 100 */
  cacheMs?: number;
  now?: () => number;
}

export const DEFAULT_HEAD_CACHE_MS = 100;

// Atomic max: raise the stored head, never lower it (replicas race).
const SET_MAX = `local cur = tonumber(redis.call('get', KEYS[1]) or '-1')
local n = tonumber(ARGV[1])
if n > cur then redis.call('set', KEYS[1], ARGV[1]) return n end
return cur`;

interface Entry {
  value: number | undefined;
  /** Highest value written to Redis (or being written). */
  pushed: number;
  /** The write of `pushed` while it is in flight. */
  pushing: Promise<void> | undefined;
  fetchedAt: number;
  /** The read of Redis in flight. */
  reading: Promise<void> | undefined;
  /** A read to send once `reading` is done, for callers that arrived after it was sent. */
  queued: Promise<void> | undefined;
}

const DONE: Promise<void> = Promise.resolve();

export class SharedHeadStore implements HeadFloorStore {
  private readonly entries = new Map<string, Entry>();
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: SharedRedis,
    options: SharedHeadStoreOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? DEFAULT_HEAD_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  floor(chain: string): number | undefined {
    const entry = this.entry(chain);
    if (entry.reading === undefined && this.now() - entry.fetchedAt >= this.cacheMs && this.redis.reachable) void this.read(chain, entry);
    return entry.value;
  }

  refreshed(chain: string): Promise<void> {
    const entry = this.entry(chain);
    if (!this.redis.reachable) return DONE;
    if (entry.queued !== undefined) return entry.queued;
    if (entry.reading === undefined) return this.read(chain, entry);
    // The read in flight may have left before this caller's request arrived: wait for the next one.
    const queued = entry.reading.then(() => {
      entry.queued = undefined;
      return this.read(chain, entry);
    });
    entry.queued = queued;
    return queued;
  }

  published(chain: string): Promise<void> {
    return this.entries.get(chain)?.pushing ?? DONE;
  }

  noteAnswered(chain: string, number: number): void {
    const entry = this.entry(chain);
    if (entry.value === undefined || number > entry.value) entry.value = number;
    if (number <= entry.pushed || !this.redis.reachable) return;
    const previous = entry.pushed;
    entry.pushed = number;
    const pushing: Promise<void> = this.redis.client.eval(SET_MAX, 1, this.key(chain), String(number)).then(
      (stored) => this.raise(entry, Number(stored)),
      () => {
        // Pushed again with the next answer once Redis is back.
        if (entry.pushed === number) entry.pushed = previous;
      },
    );
    entry.pushing = pushing;
    void pushing.then(() => {
      if (entry.pushing === pushing) entry.pushing = undefined;
    });
  }

  private read(chain: string, entry: Entry): Promise<void> {
    const reading: Promise<void> = this.redis.client.get(this.key(chain)).then(
      (stored) => {
        if (entry.reading === reading) entry.reading = undefined;
        entry.fetchedAt = this.now();
        if (stored !== null) this.raise(entry, Number(stored));
        // A head answered while Redis was away is shared now.
        if (entry.value !== undefined && (stored === null || Number(stored) < entry.value)) {
          entry.pushed = Math.min(entry.pushed, entry.value - 1);
          this.noteAnswered(chain, entry.value);
        }
      },
      () => {
        if (entry.reading === reading) entry.reading = undefined;
        entry.fetchedAt = this.now();
      },
    );
    entry.reading = reading;
    return reading;
  }

  private raise(entry: Entry, stored: number): void {
    if (Number.isSafeInteger(stored) && stored >= 0 && (entry.value === undefined || stored > entry.value)) entry.value = stored;
  }

  private entry(chain: string): Entry {
    let entry = this.entries.get(chain);
    if (!entry) {
      entry = { value: undefined, pushed: -1, pushing: undefined, fetchedAt: -Infinity, reading: undefined, queued: undefined };
      this.entries.set(chain, entry);
    }
    return entry;
  }

  private key(chain: string): string {
    return `${this.redis.keyPrefix}head:${chain}`;
  }
}
