/** Candidate order for reads of old blocks: providers whose history starts above the block go last, not out. */
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
