import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { RateLimits } from '../../../src/front-door/rate-limit.js';
import { createLogger } from '../../../src/observability/logger.js';
import { SharedRedis } from '../../../src/shared-state/shared-redis.js';

const opened: SharedRedis[] = [];
afterAll(async () => {
  await Promise.all(opened.map((r) => r.close()));
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('RateLimits', () => {
  it('grants requestsPerSecond plus the burst, then says how long to wait', async () => {
    const limiter = new RateLimits().limiter({ requestsPerSecond: 2, burst: 5 });
    const verdicts = [];
    for (let i = 0; i < 6; i++) verdicts.push(await limiter.consume('key:a', 1));
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, true, true, true, false]);
    const last = verdicts[5]!;
    expect(!last.ok && last.reason).toBe('rate_limited');
    expect(!last.ok && last.retryAfterMs).toBeGreaterThan(0);
    // Another subject has its own allowance.
    expect((await limiter.consume('key:b', 2)).ok).toBe(true);
  });

  it('with Redis unreachable: local limits by default, refusals when configured to reject', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const redis = new SharedRedis({ url, keyPrefix: 't:' }, createLogger('silent'));
    opened.push(redis);
    const local = new RateLimits({ redis }).limiter({ requestsPerSecond: 1, burst: 1 });
    expect(await local.consume('key:a', 1)).toEqual({ ok: true });
    expect((await local.consume('key:a', 1)).ok).toBe(false);
    const strict = new RateLimits({ redis, whenUnreachable: 'reject' }).limiter({ requestsPerSecond: 1, burst: 1 });
    const refused = await strict.consume('key:a', 1);
    expect(!refused.ok && refused.reason).toBe('limiter_unavailable');
  });
});
