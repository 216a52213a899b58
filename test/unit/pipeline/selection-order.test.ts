/**
 * Which provider a request tries first and next: pinned and preferred providers, breaker state,
 * rate-limit cooldowns, lagging providers and outliers, over one chain of four providers in
 * priority order a, b, c, d.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChainSchema } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { LassoMetrics } from '../../../src/observability/metrics.js';
import { selectCandidates } from '../../../src/pipeline/select-candidates.js';
import type { SelectionRequest } from '../../../src/pipeline/select-candidates.js';
import { ChainRuntime } from '../../../src/providers/chain-runtime.js';

const HEAD = 10_000;
/** The chain's clock: breakers, cooldowns and heads read it, so tests move time by hand. */
let nowMs = 1_000_000;
const chains: ChainRuntime[] = [];
afterEach(() => {
  for (const c of chains.splice(0)) c.close();
});

/** Four providers, every head at HEAD unless `heads` says otherwise. */
function chainWith(heads: Record<string, number> = {}): ChainRuntime {
  const chain = new ChainRuntime(
    'test',
    ChainSchema.parse({
      chainId: 1,
      maxLagBlocks: 3,
      breaker: { recoveryMs: 1_000 },
      providers: ['a', 'b', 'c', 'd'].map((id, i) => ({ id, url: `http://127.0.0.1:${i + 1}`, priority: i })),
    }),
    { metrics: new LassoMetrics({ collectProcessMetrics: false }), logger: createLogger('silent'), now: () => nowMs },
  );
  chains.push(chain);
  for (const p of chain.providers) chain.view.observeHead(p, heads[p.id] ?? HEAD);
  return chain;
}

const request = (over: Partial<SelectionRequest> = {}): SelectionRequest => ({
  method: 'eth_getBalance',
  strategy: 'priority',
  target: { kind: 'none' },
  headDependent: true,
  ...over,
});
const atBlock = (number: number): Partial<SelectionRequest> => ({ target: { kind: 'number', number, moving: false }, headDependent: false });
const order = (chain: ChainRuntime, over: Partial<SelectionRequest> = {}) => selectCandidates(chain, request(over)).candidates.map((p) => p.id);
const excluded = (chain: ChainRuntime, over: Partial<SelectionRequest> = {}) =>
  selectCandidates(chain, request(over)).excluded.map((e) => `${e.provider.id}:${e.reason}`);

describe('selection order', () => {
  it('follows the strategy when every provider can serve', () => {
    expect(order(chainWith())).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a pinned provider is the only candidate, whatever its state', () => {
    const chain = chainWith();
    chain.provider('c')!.httpBreaker.forceOpen('test');
    expect(order(chain, { pinnedProviderId: 'c' })).toEqual(['c']);
    expect(order(chain, { pinnedProviderId: 'nobody' })).toEqual([]);
  });

  it('an open breaker is left out; a half-open one is asked first, as its probe', () => {
    const chain = chainWith();
    const c = chain.provider('c')!;
    c.httpBreaker.forceOpen('test');
    expect(c.httpBreaker.state).toBe('open');
    expect(order(chain)).toEqual(['a', 'b', 'd']);
    expect(excluded(chain)).toEqual(['c:breaker_open']);
    nowMs += 10_000;
    expect(c.httpBreaker.state).toBe('half_open');
    expect(order(chain)).toEqual(['c', 'a', 'b', 'd']);
  });

  it('a cooling-down provider is left out, and the shortest cooldown is reported', () => {
    const chain = chainWith();
    chain.provider('a')!.cooldown.coolDown(30_000);
    chain.provider('b')!.cooldown.coolDown(5_000);
    const selection = selectCandidates(chain, request());
    expect(selection.candidates.map((p) => p.id)).toEqual(['c', 'd']);
    expect(selection.excluded.map((e) => `${e.provider.id}:${e.reason}`)).toEqual(['a:cooldown', 'b:cooldown']);
    expect(selection.retryAfterMs).toBe(5_000);
  });

  it('lagging providers go after those at the head, the closest to it first', () => {
    const chain = chainWith({ a: HEAD - 10, b: HEAD - 5 });
    expect(order(chain)).toEqual(['c', 'd', 'b', 'a']);
    expect(excluded(chain)).toEqual([]);
  });

  it('a provider below the block asked for goes after those that have it', () => {
    const chain = chainWith({ a: HEAD - 2 });
    expect(order(chain, atBlock(HEAD))).toEqual(['b', 'c', 'd', 'a']);
    expect(order(chain, atBlock(HEAD - 2))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('an outlier far ahead of the others is left out of head-dependent requests and asked next to last otherwise', () => {
    const chain = chainWith({ a: HEAD + 50 });
    expect(chain.view.isOutlier(chain.provider('a')!)).toBe(true);
    expect(order(chain)).toEqual(['b', 'c', 'd']);
    expect(excluded(chain)).toEqual(['a:outlier']);
    expect(order(chain, atBlock(HEAD - 100))).toEqual(['b', 'c', 'd', 'a']);
  });

  it('a preferred provider goes first when it can serve, and takes its place otherwise', () => {
    const chain = chainWith({ d: HEAD - 10 });
    expect(order(chain, { preferredProviderId: 'c' })).toEqual(['c', 'a', 'b', 'd']);
    expect(order(chain, { preferredProviderId: 'd' })).toEqual(['a', 'b', 'c', 'd']);
  });
});
