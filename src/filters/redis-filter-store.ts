/**
 * Filters kept in the shared Redis, so that a poll reaching any replica finds the filter another
 * one created. One key per filter (its record as JSON, expiring after the idle timeout, renewed by
 * every poll), one sorted set per owner (filter -> expiry time) for the per-client limit, and one
 * sorted set of every filter's expiry time, pruned atomically by whichever replica sweeps first, so
 * that each expiry is counted exactly once.
 */
import type { SharedRedis } from '../shared-state/shared-redis.js';
import type { ExpiryListener, FilterKind, FilterRecord, FilterStore } from './filter-record.js';

export interface RedisFilterStoreOptions {
  idleTimeoutMs: number;
  onExpired?: ExpiryListener;
  /** @default Date.now */
  now?: () => number;
}

/** Longest pause between two sweeps of expired filters, in ms. */
const MAX_SWEEP_INTERVAL_MS = 30_000;

// KEYS: filter key, owner set, expiry set. ARGV: record JSON, idle ms, now, max per owner, member.
// Installs unless the owner is at its limit (its expired filters pruned first). 1 when installed, else 0.
const CREATE = `redis.call('zremrangebyscore', KEYS[2], '-inf', ARGV[3])
local count = redis.call('zcard', KEYS[2])
if count >= tonumber(ARGV[4]) then return 0 end
local expiresAt = tonumber(ARGV[3]) + tonumber(ARGV[2])
redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
redis.call('zadd', KEYS[2], expiresAt, ARGV[5])
redis.call('pexpire', KEYS[2], ARGV[2])
redis.call('zadd', KEYS[3], expiresAt, ARGV[5])
return 1`;

// KEYS: filter key. ARGV: idle ms. The record, with its expiry renewed; nil when gone.
const TOUCH = `local v = redis.call('get', KEYS[1])
if v then redis.call('pexpire', KEYS[1], ARGV[1]) end
return v`;

// KEYS: filter key. ARGV: expected record JSON, new record JSON, idle ms. 1 when stored; 0 when the
// filter moved (another replica's poll), was uninstalled or expired.
const SAVE = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[2], 'px', ARGV[3])
return 1`;

// KEYS: expiry set. ARGV: now. Removes and returns the members that expired (each to one caller only).
const SWEEP = `local gone = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1])
if #gone > 0 then redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1]) end
return gone`;

export class RedisFilterStore implements FilterStore {
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly redis: SharedRedis,
    private readonly options: RedisFilterStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => {
      if (redis.reachable) this.sweep().catch(() => undefined);
    }, Math.max(100, Math.min(MAX_SWEEP_INTERVAL_MS, options.idleTimeoutMs / 4)));
    this.sweeper.unref();
  }

  async create(record: FilterRecord, maxPerOwner: number): Promise<boolean> {
    const installed = await this.redis.client.eval(
      CREATE,
      3,
      this.filterKey(record.id),
      this.ownerKey(record.owner),
      this.expiryKey(),
      JSON.stringify(record),
      String(this.options.idleTimeoutMs),
      String(this.now()),
      String(maxPerOwner),
      member(record),
    );
    return installed === 1;
  }

  async touch(id: string): Promise<FilterRecord | undefined> {
    const stored = (await this.redis.client.eval(TOUCH, 1, this.filterKey(id), String(this.options.idleTimeoutMs))) as string | null;
    if (stored === null) return undefined;
    const record = JSON.parse(stored) as FilterRecord;
    const ownerKey = this.ownerKey(record.owner);
    const expiresAt = this.now() + this.options.idleTimeoutMs;
    await this.redis.client
      .multi()
      .zadd(ownerKey, expiresAt, member(record))
      .pexpire(ownerKey, this.options.idleTimeoutMs)
      .zadd(this.expiryKey(), expiresAt, member(record))
      .exec();
    return record;
  }

  async save(record: FilterRecord, previous: FilterRecord): Promise<boolean> {
    // JSON.stringify of a record parsed from JSON gives back the stored text: a plain compare-and-set.
    const saved = await this.redis.client.eval(SAVE, 1, this.filterKey(record.id), JSON.stringify(previous), JSON.stringify(record), String(this.options.idleTimeoutMs));
    return saved === 1;
  }

  async remove(id: string): Promise<FilterRecord | undefined> {
    const stored = await this.redis.client.getdel(this.filterKey(id));
    if (stored === null) return undefined;
    const record = JSON.parse(stored) as FilterRecord;
    await this.redis.client.multi().zrem(this.ownerKey(record.owner), member(record)).zrem(this.expiryKey(), member(record)).exec();
    return record;
  }

  /** Counts the filters that expired since the last sweep (of any replica). */
  async sweep(): Promise<void> {
    const gone = (await this.redis.client.eval(SWEEP, 1, this.expiryKey(), String(this.now()))) as string[];
    for (const m of gone) {
      const parsed = parseMember(m);
      if (parsed !== undefined) this.options.onExpired?.(parsed);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private filterKey(id: string): string {
    return `${this.redis.keyPrefix}filter:${id}`;
  }

  private ownerKey(owner: string): string {
    return `${this.redis.keyPrefix}filters:owner:${owner}`;
  }

  private expiryKey(): string {
    return `${this.redis.keyPrefix}filters:expiry`;
  }
}

/** A set member names the filter's chain and kind too, so that an expiry can be counted by them. */
function member(record: FilterRecord): string {
  return `${record.kind}|${record.id}|${record.chain}`;
}

function parseMember(value: string): { chain: string; kind: FilterKind } | undefined {
  const match = /^(blocks|logs|pending)\|[^|]*\|(.*)$/s.exec(value);
  return match === null ? undefined : { kind: match[1] as FilterKind, chain: match[2] as string };
}
