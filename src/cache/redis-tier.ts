import { createHash } from 'node:crypto';
import { joined } from '../jsonrpc/byte-segments.js';
import type { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { SharedRedis } from '../shared-state/shared-redis.js';
import { resultFromJson } from './owned-result.js';

/**
 * Final results shared by every replica through Redis. Never in a request's way for long: while
 * Redis is unreachable nothing is asked (commands fail at once), and a command that does not
 * answer within the connection's command timeout counts as a miss. Unfinalized answers (and
 * errors, never final) never come here: only each process's own chain view can drop them on a reorg.
 */
export class RedisTier {
  constructor(
    private readonly redis: SharedRedis,
    /** Distinguishes chains (by chain id, so replicas naming a chain differently still share). */
    private readonly namespace: string,
  ) {}

  async get(key: string): Promise<ResultBytes | undefined> {
    if (!this.redis.reachable) return undefined;
    try {
      const stored = await this.redis.client.getBuffer(this.redisKey(key));
      // Checked as JSON again: whatever else wrote there is not sent to a client.
      return stored === null ? undefined : resultFromJson([stored]);
    } catch {
      return undefined;
    }
  }

  /** Stores without waiting; a failure only means other replicas ask upstream once more. */
  put(key: string, result: ResultBytes, ttlMs: number | undefined): void {
    if (!this.redis.reachable) return;
    const k = this.redisKey(key);
    const json = joined(result.segments);
    const write = ttlMs === undefined ? this.redis.client.set(k, json) : this.redis.client.set(k, json, 'PX', ttlMs);
    write.catch(() => undefined);
  }

  private redisKey(key: string): string {
    // Hashed: keys hold whole eth_call payloads.
    return `${this.redis.keyPrefix}cache:${this.namespace}:${createHash('sha256').update(key).digest('base64url')}`;
  }
}
