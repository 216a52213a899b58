/**
 * The highest block each chain has answered with, shared by replicas through Redis, so a client
 * behind a load balancer never sees the head go backwards when its next request lands on another
 * replica. Reads never wait on Redis: `floor` answers from a local copy that is refreshed in the
 * background when older than `cacheMs`; `noteAnswered` raises the local copy at once and the
 * shared one with an atomic max. While Redis is unreachable both work on the local copy alone.
 */
import type { SharedRedis } from './shared-redis.js';

export interface HeadFloorStore {
  /** Highest head answered for `chain` (by any replica, as last seen); undefined when none yet. */
  floor(chain: string): number | undefined;
  /** This replica answered `chain` with block `number`. */
  noteAnswered(chain: string, number: number): void;
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
  fetchedAt: number;
  refreshing: boolean;
}

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
    if (!entry.refreshing && this.now() - entry.fetchedAt >= this.cacheMs && this.redis.reachable) this.refresh(chain, entry);
    return entry.value;
  }

  noteAnswered(chain: string, number: number): void {
    const entry = this.entry(chain);
    if (entry.value === undefined || number > entry.value) entry.value = number;
    if (number <= entry.pushed || !this.redis.reachable) return;
    const previous = entry.pushed;
    entry.pushed = number;
    this.redis.client.eval(SET_MAX, 1, this.key(chain), String(number)).then(
      (stored) => this.raise(entry, Number(stored)),
      () => {
        // Pushed again with the next answer once Redis is back.
        if (entry.pushed === number) entry.pushed = previous;
      },
    );
  }

  private refresh(chain: string, entry: Entry): void {
    entry.refreshing = true;
    this.redis.client.get(this.key(chain)).then(
      (stored) => {
        entry.refreshing = false;
        entry.fetchedAt = this.now();
        if (stored !== null) this.raise(entry, Number(stored));
        // A head answered while Redis was away is shared now.
        if (entry.value !== undefined && (stored === null || Number(stored) < entry.value)) {
          entry.pushed = Math.min(entry.pushed, entry.value - 1);
          this.noteAnswered(chain, entry.value);
        }
      },
      () => {
        entry.refreshing = false;
        entry.fetchedAt = this.now();
      },
    );
  }

  private raise(entry: Entry, stored: number): void {
    if (Number.isSafeInteger(stored) && stored >= 0 && (entry.value === undefined || stored > entry.value)) entry.value = stored;
  }

  private entry(chain: string): Entry {
    let entry = this.entries.get(chain);
    if (!entry) {
      entry = { value: undefined, pushed: -1, fetchedAt: -Infinity, refreshing: false };
      this.entries.set(chain, entry);
    }
    return entry;
  }

  private key(chain: string): string {
    return `${this.redis.keyPrefix}head:${chain}`;
  }
}
