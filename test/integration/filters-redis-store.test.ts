/** The Redis filter store against a real redis-server: limit per owner, compare-and-set, idle expiry by Redis. */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { FilterKind, FilterRecord } from '../../src/filters/filter-record.js';
import { RedisFilterStore } from '../../src/filters/redis-filter-store.js';
import { createLogger } from '../../src/observability/logger.js';
import { SharedRedis } from '../../src/shared-state/shared-redis.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

let server: RedisServer;
let redis: SharedRedis;
beforeAll(async () => {
  server = await RedisServer.start();
  redis = new SharedRedis({ url: server.url, keyPrefix: 'store-test:' }, createLogger('silent'));
  expect(await redis.ready(5_000)).toBe(true);
});
afterAll(async () => {
  await redis?.close();
  await server?.kill();
});

const record = (id: string, owner: string, kind: FilterKind = 'logs'): FilterRecord => ({
  id,
  chain: 'main|net',
  owner,
  kind,
  window: [{ number: 7, hash: '0x07', logs: [{ logIndex: '0x0' }] }],
  criteria: { filter: { address: ['0x00000000000000000000000000000000000000aa'] }, range: { fromBlock: 'latest' } },
});

describe('filters kept in Redis', () => {
  it('a filter round-trips; the per-owner limit holds; save is a compare-and-set; remove frees the place', async () => {
    const store = new RedisFilterStore(redis, { idleTimeoutMs: 60_000 });
    onTestFinished(() => store.close());
    expect(await store.create(record('0xa1', 'key:a'), 2)).toBe(true);
    expect(await store.create(record('0xa2', 'key:a'), 2)).toBe(true);
    expect(await store.create(record('0xa3', 'key:a'), 2)).toBe(false);
    expect(await store.create(record('0xb1', 'key:b'), 2)).toBe(true);
    const polled = (await store.touch('0xa1')) as FilterRecord;
    expect(polled).toEqual(record('0xa1', 'key:a'));
    const moved = { ...polled, window: [{ number: 8, hash: '0x08', logs: [] }] };
    expect(await store.save(moved, polled)).toBe(true);
    expect(await store.save({ ...polled, window: [] }, polled)).toBe(false);
    expect((await store.touch('0xa1'))?.window).toEqual(moved.window);
    expect((await store.remove('0xa1'))?.id).toBe('0xa1');
    expect(await store.remove('0xa1')).toBeUndefined();
    expect(await store.save(moved, moved)).toBe(false);
    expect(await store.create(record('0xa3', 'key:a'), 2)).toBe(true);
  });

  it('Redis expires idle filters; each expiry is counted once, by chain and kind, whichever replica sweeps', async () => {
    const expired: string[] = [];
    const onExpired = (f: { chain: string; kind: FilterKind }): number => expired.push(`${f.chain}/${f.kind}`);
    const replicas = [new RedisFilterStore(redis, { idleTimeoutMs: 300, onExpired }), new RedisFilterStore(redis, { idleTimeoutMs: 300, onExpired })];
    try {
      expect(await replicas[0]?.create(record('0xc1', 'ip:10.0.0.1', 'blocks'), 1)).toBe(true);
      expect(await replicas[1]?.create(record('0xc2', 'ip:10.0.0.1'), 1)).toBe(false);
      await waitFor(() => expired.length > 0, { timeoutMs: 5_000, what: 'a sweep to count the expiry' });
      await waitFor(async () => (await redis.client.exists('store-test:filter:0xc1')) === 0, { timeoutMs: 5_000, what: 'Redis to expire the filter' });
      expect(await replicas[1]?.touch('0xc1')).toBeUndefined();
      expect(await replicas[1]?.create(record('0xc2', 'ip:10.0.0.1'), 1)).toBe(true);
      expect(await replicas[1]?.remove('0xc2')).toBeDefined();
      await Promise.all(replicas.map((r) => r.sweep()));
      expect(expired).toEqual(['main|net/blocks']);
    } finally {
      for (const r of replicas) r.close();
    }
  });
});
