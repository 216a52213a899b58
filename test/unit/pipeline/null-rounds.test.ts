/**
 * Null-retry rounds: when every candidate said null for a block the chain already has (it may
 * still be propagating), the pipeline asks again once after a short pause, and keeps asking for a
 * little longer when a candidate failed; a null that stands is answered as null. The same holds when
 * providers say they do not have a block at or below the head Lasso has answered with.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStaticUpstream } from '../../../src/chaos/static-upstream.js';
import type { StaticHandler, StaticUpstream } from '../../../src/chaos/static-upstream.js';
import { ChainSchema } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { LoopLagMonitor } from '../../../src/observability/loop-lag.js';
import { LassoMetrics } from '../../../src/observability/metrics.js';
import { executeRequest } from '../../../src/pipeline/execute.js';
import type { ExecuteDeps } from '../../../src/pipeline/types.js';
import { ChainRuntime } from '../../../src/providers/chain-runtime.js';

const HEAD = 100;
/** The chain's clock (round patience and deadlines read it): still unless a test moves it. */
let nowMs = 1_000_000;
const BLOCK = { number: '0x64', hash: `0x${'ab'.repeat(32)}`, parentHash: `0x${'cd'.repeat(32)}`, transactions: [] };

const upstreams: StaticUpstream[] = [];
const chains: ChainRuntime[] = [];
const metrics = new LassoMetrics({ collectProcessMetrics: false });
const deps: ExecuteDeps = { metrics, logger: createLogger('silent'), loopLag: new LoopLagMonitor() };

beforeAll(async () => {
  for (let i = 0; i < 2; i++) upstreams.push(await startStaticUpstream({ blockNumber: HEAD }));
});
afterEach(async () => {
  await Promise.all(chains.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
});

/**
 * Provider a (asked first) and b, both at the head; each answers eth_getBlockByNumber from its
 * script, one entry per call (the last repeats): the block, null, or an HTTP 500. `lateAfter`:
 * after that provider's nth call the clock jumps past the retry patience.
 */
function chainWith(scripts: { a: Answer[]; b: Answer[] }, lateAfter: { b?: number } = {}): { chain: ChainRuntime; calls: { a: number; b: number } } {
  const calls = { a: 0, b: 0 };
  const scripted =
    (id: 'a' | 'b'): StaticHandler =>
    (req) => {
      if (req.method !== 'eth_getBlockByNumber') return undefined;
      const script = scripts[id];
      const answer = script[Math.min(calls[id]++, script.length - 1)];
      if (id === 'b' && calls.b === lateAfter.b) nowMs += 60_000;
      if (answer === 'behind') return { error: { code: -32602, message: `BlockOutOfRangeError: block height is ${HEAD - 1} but requested was ${Number((req.params as unknown[])[0])}` } };
      return answer === 'block' ? { result: BLOCK } : answer === 'null' ? { result: null } : { http: { status: 500, body: 'down' } };
    };
  upstreams[0]!.setHandler(scripted('a'));
  upstreams[1]!.setHandler(scripted('b'));
  const chain = new ChainRuntime(
    'test',
    ChainSchema.parse({
      chainId: 1,
      hedging: { enabled: false },
      providers: [
        { id: 'a', url: upstreams[0]!.url, priority: 0 },
        { id: 'b', url: upstreams[1]!.url, priority: 1 },
      ],
    }),
    { metrics, logger: createLogger('silent'), now: () => nowMs },
  );
  chains.push(chain);
  for (const p of chain.providers) chain.view.observeHead(p, HEAD);
  return { chain, calls };
}
/** `behind`: the provider says it does not have the block yet (anvil's words). */
type Answer = 'block' | 'null' | 'fail' | 'behind';

function getBlock(chain: ChainRuntime, number = '0x64') {
  return executeRequest(chain, 'eth_getBlockByNumber', [number, false], { strategy: 'priority', deadline: nowMs + 10_000, useCache: false }, 'http', deps);
}
const resultOf = (answer: Awaited<ReturnType<typeof getBlock>>) => ('result' in answer.body ? answer.body.result.value() : answer.body);

describe('null-retry rounds', () => {
  it('asks every candidate again once when all said null, and serves the block found then', async () => {
    const { chain, calls } = chainWith({ a: ['null'], b: ['null', 'block'] });
    const answer = await getBlock(chain);
    expect(resultOf(answer)).toEqual(BLOCK);
    expect(answer.providerId).toBe('b');
    expect(calls).toEqual({ a: 2, b: 2 });
  });

  it('without a failure, one more round only: then the null stands', async () => {
    const { chain, calls } = chainWith({ a: ['null'], b: ['null'] });
    const answer = await getBlock(chain);
    expect(resultOf(answer)).toBeNull();
    expect(answer.outcome).toBe('success');
    expect(calls).toEqual({ a: 2, b: 2 });
  });

  it('while a candidate also fails, keeps asking for a while: the provider that announced the block may be the one failing', async () => {
    const { chain, calls } = chainWith({ a: ['fail'], b: ['null', 'null', 'null', 'block'] });
    const answer = await getBlock(chain);
    expect(resultOf(answer)).toEqual(BLOCK);
    expect(calls.b).toBe(4);
  });

  it('stops asking once that while is over, and the null stands', async () => {
    const { chain, calls } = chainWith({ a: ['fail'], b: ['null', 'null', 'null', 'block'] }, { b: 2 });
    const answer = await getBlock(chain);
    expect(resultOf(answer)).toBeNull();
    expect(calls.b).toBe(2);
  });

  it('a block found in the first round is served without another', async () => {
    const { chain, calls } = chainWith({ a: ['null'], b: ['block'] });
    expect(resultOf(await getBlock(chain))).toEqual(BLOCK);
    expect(calls).toEqual({ a: 1, b: 1 });
  });

  it('a provider saying it lacks a block the chain already has is behind: asked again, and the block served', async () => {
    const { chain, calls } = chainWith({ a: ['behind'], b: ['behind', 'behind', 'block'] });
    const answer = await getBlock(chain);
    expect(resultOf(answer)).toEqual(BLOCK);
    expect(answer.providerId).toBe('b');
    expect(calls.b).toBe(3);
  });

  it('stops asking once that while is over, and the error stands', async () => {
    const { chain, calls } = chainWith({ a: ['behind'], b: ['behind', 'behind', 'block'] }, { b: 2 });
    const answer = await getBlock(chain);
    expect(answer.outcome).not.toBe('success');
    expect(JSON.stringify(answer.body)).toContain('BlockOutOfRangeError');
    expect(calls.b).toBe(2);
  });

  it('a block above the head Lasso has answered with is not waited for', async () => {
    const { chain, calls } = chainWith({ a: ['behind'], b: ['behind', 'block'] });
    const answer = await getBlock(chain, '0x65');
    expect(JSON.stringify(answer.body)).toContain('BlockOutOfRangeError');
    expect(calls).toEqual({ a: 1, b: 1 });
  });
});
