import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeadWatcher } from '../../src/battle/arms/index.js';
import { Devnet } from '../../src/devnet/index.js';
import { ROOT, ensureBuilt } from '../helpers/built-cli.js';
import { waitFor } from '../helpers/wait.js';

type WatchHeadsInWorker = (name: string, wsUrls: string[]) => HeadWatcher;

// The watcher's worker script is compiled JavaScript: like `lasso battle --compare`, this runs dist/.
describe('viem newHeads watcher in a worker thread', () => {
  let devnet: Devnet | undefined;
  let watcher: HeadWatcher | undefined;

  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(async () => {
    await watcher?.close();
    await devnet?.stop();
  });

  it('records the heads viem hands it, in order, and closes the worker', async () => {
    devnet = await Devnet.start({ nodes: 1 });
    const { watchHeadsInWorker } = (await import(join(ROOT, 'dist/battle/arms/viem-heads.js'))) as { watchHeadsInWorker: WatchHeadsInWorker };
    const active = watchHeadsInWorker('viem-test', [devnet.nodes()[0]!.wsUrl]);
    watcher = active;
    // The subscription is up once a mined block arrives.
    const chain = devnet;
    await waitFor(async () => {
      const block = await chain.mineBlock();
      return waitFor(() => (active.highest() ?? -1) >= block.number, { timeoutMs: 1000, what: 'a head' }).catch(() => false);
    }, { timeoutMs: 30_000, intervalMs: 0, what: 'the subscription' });
    const last = await devnet.mineBlock();
    await waitFor(() => active.highest() === last.number, { timeoutMs: 10_000, what: `head ${last.number}` });

    const heads = active.heads();
    for (const head of heads) expect(head.hash).toBe(devnet.canonical.block(head.number)?.hash);
    expect(heads.map((h) => h.number)).toEqual([...heads.map((h) => h.number)].sort((a, b) => a - b));
    expect(active.errors).toBe(0);

    const closing = Date.now();
    await active.close();
    watcher = undefined;
    expect(Date.now() - closing).toBeLessThan(6000);
  });
});
