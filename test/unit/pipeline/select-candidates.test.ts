/**
 * Candidate order: for reads of old blocks, providers whose history starts above the block go last,
 * not out; with the default strategy, a provider back from an outage is judged by what it did since.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ChainSchema } from '../../../src/config/schema.js';
import { LassoMetrics } from '../../../src/observability/metrics.js';
import { createLogger } from '../../../src/observability/logger.js';
import { selectCandidates } from '../../../src/pipeline/select-candidates.js';
import type { SelectionRequest } from '../../../src/pipeline/select-candidates.js';
import { ChainRuntime } from '../../../src/providers/chain-runtime.js';
import { servableRange } from '../../../src/providers/servable-range.js';

const chain = new ChainRuntime(
  'test',
  ChainSchema.parse({
    chainId: 1,
    providers: [
      { id: 'pruned', url: 'http://127.0.0.1:1', priority: 0 },
      { id: 'configured', url: 'http://127.0.0.1:2', priority: 1, oldestBlock: 2_000 },
      { id: 'archive', url: 'http://127.0.0.1:3', priority: 2, archive: true },
      { id: 'unknown', url: 'http://127.0.0.1:4', priority: 3 },
    ],
  }),
  { metrics: new LassoMetrics({ collectProcessMetrics: false }), logger: createLogger('silent') },
);
for (const p of chain.providers) chain.view.observeHead(p, 10_000);
afterAll(() => chain.close());

const read = (number: number): SelectionRequest => ({ method: 'eth_getBalance', strategy: 'priority', target: { kind: 'number', number, moving: false }, headDependent: false });
const order = (number: number) => selectCandidates(chain, read(number)).candidates.map((p) => p.id);
const range = (id: string) => servableRange(chain.provider(id)!, chain.capabilities);

describe('select candidates by servable range', () => {
  it('puts providers that cannot serve the block last, in priority order, and excludes none', () => {
    expect(order(9_000)).toEqual(['pruned', 'configured', 'archive', 'unknown']);
    expect(order(1_000)).toEqual(['pruned', 'archive', 'unknown', 'configured']);
    chain.capabilities.markPrunedBelow('pruned', 5_001);
    expect(order(5_000)).toEqual(['configured', 'archive', 'unknown', 'pruned']);
    expect(order(1_000)).toEqual(['archive', 'unknown', 'pruned', 'configured']);
    expect(order(5_001)).toEqual(['pruned', 'configured', 'archive', 'unknown']);
    expect(selectCandidates(chain, read(1_000)).excluded).toEqual([]);
  });

  it('reports where each range comes from; an archive provider is never learned as pruned', () => {
    chain.capabilities.markPrunedBelow('archive', 9_000);
    chain.capabilities.markPrunedBelow('configured', 1_500);
    expect(range('archive')).toEqual({ oldestBlock: 0, source: 'archive' });
    expect(range('configured')).toEqual({ oldestBlock: 2_000, source: 'config' });
    expect(range('pruned')).toEqual({ oldestBlock: 5_001, source: 'learned' });
    expect(range('unknown')).toEqual({ oldestBlock: undefined, source: 'unknown' });
    chain.capabilities.markPrunedBelow('configured', 3_000);
    expect(range('configured')).toEqual({ oldestBlock: 3_000, source: 'learned' });
  });
});

describe('select candidates with the default strategy after an outage', () => {
  it("scores a provider whose breaker closed again by what it did since, not by the outage's failures", () => {
    const clock = { t: 1_000_000 };
    const twin = new ChainRuntime(
      'recovery',
      ChainSchema.parse({
        chainId: 1,
        breaker: { recoveryMs: 1_000 },
        providers: [
          { id: 'a', url: 'http://127.0.0.1:1', priority: 0 },
          { id: 'b', url: 'http://127.0.0.1:2', priority: 1 },
        ],
      }),
      // random 0: among equally good candidates the first (by priority) wins, so a tie shows as 'a'.
      { metrics: new LassoMetrics({ collectProcessMetrics: false }), logger: createLogger('silent'), now: () => clock.t, random: () => 0 },
    );
    try {
      for (const p of twin.providers) twin.view.observeHead(p, 100);
      for (let i = 0; i < 20; i++) for (const id of ['a', 'b']) twin.evidence.recordSuccess(id, 'eth_blockNumber', 5);
      const first = () => selectCandidates(twin, { ...read(50), strategy: 'best' }).candidates[0]?.id;
      expect(first()).toBe('a');

      // The outage: its polls fail and its breaker opens.
      const a = twin.provider('a')!;
      for (let i = 0; i < 10; i++) twin.evidence.recordFailure('a', 'eth_blockNumber');
      for (let i = 0; i < 3; i++) a.httpBreaker.recordFailure(a.httpBreaker.tryAcquire()!, 'network');
      expect(first()).toBe('b');

      // Back: two half-open probes succeed and the breaker closes; its polls answer as fast as before.
      clock.t += 2_000;
      for (let i = 0; i < 2; i++) a.httpBreaker.recordSuccess(a.httpBreaker.tryAcquire()!);
      expect(a.httpBreaker.state).toBe('closed');
      twin.evidence.recordSuccess('a', 'eth_blockNumber', 5);
      expect(first()).toBe('a');
    } finally {
      twin.close();
    }
  });
});
