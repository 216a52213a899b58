/**
 * Filters kept in the shared Redis, so that a poll reaching any replica finds the filter another
 * one created. One key per filter (its record as JSON, expiring after the idle timeout, renewed by
 * every poll) and one sorted set per owner (filter -> expiry time) for the per-client limit.
 * Redis expires idle filters by itself; a replica counts the expiries it prunes from an owner's set.
 */
import type { SharedRedis } from '../shared-state/shared-redis.js';
import type { ExpiryListener, FilterKind, FilterRecord, FilterStore } from './filter-record.js';

export interface RedisFilterStoreOptions {
  idleTimeoutMs: number;
  onExpired?: ExpiryListener;
  /** @default Date.now */
  now?: () => number;
}

// KEYS: filter key, owner set. ARGV: record JSON, idle ms, now, max per owner, owner set member.
// Prunes the owner's expired filters, then installs unless the owner is at its limit.
// Returns { installed (1|0), count, pruned members... }.
const CREATE = `local pruned = redis.call('zrangebyscore', KEYS[2], '-inf', ARGV[3])
if #pruned > 0 then redis.call('zremrangebyscore', KEYS[2], '-inf', ARGV[3]) end
local count = redis.call('zcard', KEYS[2])
if count >= tonumber(ARGV[4]) then return {0, count, unpack(pruned)} end
redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
redis.call('zadd', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[2]), ARGV[5])
redis.call('pexpire', KEYS[2], ARGV[2])
return {1, count + 1, unpack(pruned)}`;

// KEYS: filter key. ARGV: idle ms. The record, with its expiry renewed; nil when gone.
const TOUCH = `local v = redis.call('get', KEYS[1])
if v then redis.call('pexpire', KEYS[1], ARGV[1]) end
return v`;

export class RedisFilterStore implements FilterStore {
  private readonly now: () => number;

  constructor(
    private readonly redis: SharedRedis,
    private readonly options: RedisFilterStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async create(record: FilterRecord, maxPerOwner: number): Promise<{ ok: true } | { ok: false; installed: number }> {
    const result = (await this.redis.client.eval(
      CREATE,
      2,
      this.filterKey(record.id),
      this.ownerKey(record.owner),
      JSON.stringify(record),
      String(this.options.idleTimeoutMs),
      String(this.now()),
      String(maxPerOwner),
      member(record),
    )) as [number, number, ...string[]];
    const [installed, count, ...pruned] = result;
    for (const m of pruned) {
      const parsed = parseMember(m);
      if (parsed !== undefined) this.options.onExpired?.(parsed);
    }
    return installed === 1 ? { ok: true } : { ok: false, installed: count };
  }

  async touch(id: string): Promise<FilterRecord | undefined> {
    const stored = (await this.redis.client.eval(TOUCH, 1, this.filterKey(id), String(this.options.idleTimeoutMs))) as string | null;
    if (stored === null) return undefined;
    const record = JSON.parse(stored) as FilterRecord;
    const ownerKey = this.ownerKey(record.owner);
    await this.redis.client.multi().zadd(ownerKey, this.now() + this.options.idleTimeoutMs, member(record)).pexpire(ownerKey, this.options.idleTimeoutMs).exec();
    return record;
  }

  async save(record: FilterRecord): Promise<void> {
    // XX: a filter uninstalled (or expired) while this poll ran stays gone.
    await this.redis.client.set(this.filterKey(record.id), JSON.stringify(record), 'PX', this.options.idleTimeoutMs, 'XX');
  }

  async remove(id: string): Promise<FilterRecord | undefined> {
    const stored = await this.redis.client.getdel(this.filterKey(id));
    if (stored === null) return undefined;
    const record = JSON.parse(stored) as FilterRecord;
    await this.redis.client.zrem(this.ownerKey(record.owner), member(record));
    return record;
  }

  close(): void {}

  private filterKey(id: string): string {
    return `${this.redis.keyPrefix}filter:${id}`;
  }

  private ownerKey(owner: string): string {
    return `${this.redis.keyPrefix}filters:owner:${owner}`;
  }
}

/** An owner set member names the filter's chain and kind too, so that an expiry can be counted by them. */
function member(record: FilterRecord): string {
  return `${record.kind}|${record.id}|${record.chain}`;
}

function parseMember(value: string): { chain: string; kind: FilterKind } | undefined {
  const match = /^(blocks|logs|pending)\|[^|]*\|(.*)$/s.exec(value);
  return match === null ? undefined : { kind: match[1] as FilterKind, chain: match[2] as string };
}
