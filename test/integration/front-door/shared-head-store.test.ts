/** Two SharedHeadStores (two replicas) on one real redis-server share the highest answered head. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { SharedHeadStore } from '../../../src/shared-state/shared-head-store.js';
import { SharedRedis } from '../../../src/shared-state/shared-redis.js';
import { RedisServer } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait.js';

let server: RedisServer;
const connections: SharedRedis[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
  for (let i = 0; i < 2; i++) {
    const redis = new SharedRedis({ url: server.url, keyPrefix: 'head-test:' }, createLogger('silent'));
    expect(await redis.ready(5000)).toBe(true);
    connections.push(redis);
  }
});

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await server?.kill();
});

describe('SharedHeadStore', () => {
  it('shows a head answered by one replica to the other, never lowers it, and works locally while Redis is away', async () => {
    const [a, b] = connections.map((c) => new SharedHeadStore(c, { cacheMs: 20 })) as [SharedHeadStore, SharedHeadStore];
    a.noteAnswered('ethereum', 100);
    expect(a.floor('ethereum')).toBe(100);
    await waitFor(() => b.floor('ethereum') === 100, { timeoutMs: 2000, what: 'replica B to see head 100' });

    b.noteAnswered('ethereum', 90);
    a.noteAnswered('ethereum', 105);
    await waitFor(() => b.floor('ethereum') === 105, { timeoutMs: 2000, what: 'replica B to see head 105' });
    expect(a.floor('ethereum')).toBe(105);

    await server.kill();
    await waitFor(() => !connections[0]!.reachable, { timeoutMs: 2000, what: 'Redis to be seen as gone' });
    a.noteAnswered('ethereum', 110);
    expect(a.floor('ethereum')).toBe(110);

    await server.restart();
    await waitFor(() => connections.every((c) => c.reachable), { timeoutMs: 5000, what: 'reconnect' });
    // The head answered while Redis was away reaches the other replica once it is back.
    await waitFor(
      () => {
        a.floor('ethereum');
        return b.floor('ethereum') === 110;
      },
      { timeoutMs: 5000, what: 'replica B to see head 110' },
    );
  });

  it('once one replica has published a head, the other has it as soon as it is refreshed, whatever its cache age', async () => {
    const [a, b] = connections.map((c) => new SharedHeadStore(c, { cacheMs: 60_000 })) as [SharedHeadStore, SharedHeadStore];
    await b.refreshed('base');
    a.noteAnswered('base', 7);
    await a.published('base');
    // Callers that arrive while a read is in flight share the next read, not that one.
    const inFlight = b.refreshed('base');
    const next = b.refreshed('base');
    expect(next).not.toBe(inFlight);
    expect(b.refreshed('base')).toBe(next);
    await next;
    expect(b.floor('base')).toBe(7);
  });
});
