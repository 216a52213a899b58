import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ChainCache } from '../../../src/cache/chain-cache.js';
import type { CacheableAnswer, CacheChain, CacheRequest } from '../../../src/cache/chain-cache.js';
import type { CacheOptions } from '../../../src/cache/options.js';
import { joined } from '../../../src/jsonrpc/byte-segments.js';
import { ResultBytes } from '../../../src/jsonrpc/result-bytes.js';
import { CacheMetrics } from '../../../src/observability/cache-metrics.js';

const ADDRESS = `0x${'11'.repeat(20)}`;
const hashOf = (n: number, branch = 'a'): string => `0x${branch.repeat(2)}${n.toString(16).padStart(62, '0')}`;

/** A chain view with head 110, finalized 100, a hash for every height (branch a), and a clock. */
class FakeChain implements CacheChain {
  readonly name = 'test';
  readonly chainId = 1;
  time = 0;
  head = 110;
  finalizedAt = 100;
  readonly hashes = new Map<number, string>(Array.from({ length: 111 }, (_, n) => [n, hashOf(n)]));
  private readonly listeners = new Set<(n: number) => void>();
  readonly now = (): number => this.time;
  readonly view = {
    answerHead: () => this.head,
    finalized: () => this.finalizedAt,
    hashAt: (n: number) => this.hashes.get(n),
    onReorg: (listener: (n: number) => void) => {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    },
  };

  /** Replaces blocks from `from` up with branch b, as the chain view does when it sees a reorg. */
  reorg(from: number): void {
    for (let n = from; n <= this.head; n++) this.hashes.set(n, hashOf(n, 'b'));
    for (const l of this.listeners) l(from);
  }
}

const OPTIONS: CacheOptions = { enabled: true, maxBytes: 1 << 20, unfinalizedTtlMs: 2000, methods: {} };

function setup(options: Partial<CacheOptions> = {}) {
  const chain = new FakeChain();
  const registry = new Registry();
  const metrics = new CacheMetrics(registry);
  const cache = new ChainCache(chain, { ...OPTIONS, ...options }, { metrics });
  let upstreamCalls = 0;
  /** Reads through the cache; the upstream answers `value` (or what `answer` gives). */
  const read = async (request: CacheRequest, value: unknown, answer?: () => CacheableAnswer): Promise<CacheableAnswer> =>
    cache.readThrough(
      request,
      async () => {
        upstreamCalls++;
        return answer?.() ?? { body: { result: ResultBytes.fromValue(value) }, outcome: 'success' };
      },
      (body) => ({ body, outcome: 'result' in body ? 'success' : 'rpc_error' }),
    );
  const metric = async (name: string): Promise<number> => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
    return (m?.values ?? []).reduce((a, v) => a + Number(v.value), 0);
  };
  return { chain, cache, read, metric, calls: () => upstreamCalls };
}

const balanceAt = (n: number): CacheRequest => ({ method: 'eth_getBalance', params: [ADDRESS, `0x${n.toString(16)}`], target: { kind: 'number', number: n, moving: false } });
const blockAt = (n: number): CacheRequest => ({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false], target: { kind: 'number', number: n, moving: false } });
const text = (answer: CacheableAnswer): string => ('result' in answer.body ? joined(answer.body.result.segments).toString() : JSON.stringify(answer.body.error));

describe('ChainCache', () => {
  it('answers final reads from memory with the stored bytes, counted as hits', async () => {
    const { read, calls, metric } = setup();
    const first = await read(balanceAt(90), '0x10');
    expect(first.cache).toBe('miss');
    const second = await read(balanceAt(90), '0x10');
    expect(second.cache).toBe('hit');
    expect(text(second)).toBe('"0x10"');
    expect(calls()).toBe(1);
    expect(await metric('lasso_cache_hits_total')).toBe(1);
    expect(await metric('lasso_cache_misses_total')).toBe(1);
    expect(await metric('lasso_cache_entries')).toBe(1);
    expect(await metric('lasso_cache_bytes')).toBeGreaterThan(6);
  });

  it('keys by canonical params: member order and hex case do not matter', async () => {
    const { read, calls } = setup();
    const call = (params: unknown[]): CacheRequest => ({ method: 'eth_call', params, target: { kind: 'number', number: 90, moving: false } });
    await read(call([{ to: ADDRESS.toUpperCase().replace('0X', '0x'), data: '0xAB' }, '0x5a']), '0x01');
    expect((await read(call([{ data: '0xab', to: ADDRESS }, '0x5a']), '0x01')).cache).toBe('hit');
    expect(calls()).toBe(1);
  });

  it('drops every unfinalized entry on a reorg (the reported height may be above the fork point), keeps final ones, and counts them', async () => {
    const { chain, read, calls, metric } = setup();
    await read(balanceAt(104), '0x1');
    await read(balanceAt(106), '0x2');
    await read(balanceAt(90), '0x3');
    chain.reorg(105);
    expect(await metric('lasso_cache_reorg_invalidations_total')).toBe(2);
    expect(await metric('lasso_cache_entries')).toBe(1);
    expect((await read(balanceAt(90), '0x3')).cache).toBe('hit');
    expect((await read(balanceAt(104), '0x1')).cache).toBe('miss');
    expect((await read(balanceAt(106), '0x4')).cache).toBe('miss');
    expect(calls()).toBe(5);
  });

  it('never serves an unfinalized entry whose block the chain view no longer has at its height', async () => {
    const { chain, read } = setup();
    await read(blockAt(108), { number: '0x6c', hash: hashOf(108) });
    expect((await read(blockAt(108), {})).cache).toBe('hit');
    // The view learnt another hash at 108 without a reorg event reaching the cache yet.
    chain.hashes.set(108, hashOf(108, 'b'));
    const after = await read(blockAt(108), { number: '0x6c', hash: hashOf(108, 'b') });
    expect(after.cache).toBe('miss');
    expect(text(after)).toContain(hashOf(108, 'b'));
  });

  it('expires unfinalized entries after their TTL; final ones stay', async () => {
    const { chain, read } = setup();
    await read(balanceAt(105), '0x1');
    await read(balanceAt(95), '0x1');
    chain.time = 1999;
    expect((await read(balanceAt(105), '0x1')).cache).toBe('hit');
    chain.time = 2000;
    expect((await read(balanceAt(105), '0x1')).cache).toBe('miss');
    chain.time = 1e9;
    expect((await read(balanceAt(95), '0x1')).cache).toBe('hit');
  });

  it('does not keep an unfinalized answer fetched across a reorg', async () => {
    const { chain, read } = setup();
    await read(balanceAt(107), '0xold', () => {
      chain.reorg(106);
      return { body: { result: ResultBytes.fromValue('0xold') }, outcome: 'success' };
    });
    expect((await read(balanceAt(107), '0xnew')).cache).toBe('miss');
  });

  it('keeps deterministic errors briefly, never failures', async () => {
    const { chain, read, calls } = setup();
    const revert = { code: 3, message: 'execution reverted' };
    await read(balanceAt(90), undefined, () => ({ body: { error: revert }, outcome: 'rpc_error', failure: { errorClass: 'deterministic' } }));
    expect(text(await read(balanceAt(90), undefined))).toContain('execution reverted');
    chain.time = 2000;
    await read(balanceAt(91), undefined, () => ({ body: { error: { code: -32000, message: 'upstream failed' } }, outcome: 'failed' }));
    await read(balanceAt(91), '0x1');
    expect(calls()).toBe(3);
  });

  it('evicts least recently used entries beyond the byte budget, and counts them', async () => {
    const { cache, read, metric } = setup({ maxBytes: 4096 });
    for (let n = 1; n <= 40; n++) await read(balanceAt(n), `0x${'f'.repeat(64)}`);
    expect(cache.size.bytes).toBeLessThanOrEqual(4096);
    expect(await metric('lasso_cache_evictions_total')).toBeGreaterThan(0);
    expect(await metric('lasso_cache_bytes')).toBe(cache.size.bytes);
    expect(await metric('lasso_cache_entries')).toBe(cache.size.entries);
    expect((await read(balanceAt(40), '0x0')).cache).toBe('hit');
    expect((await read(balanceAt(1), '0x0')).cache).toBe('miss');
  });

  it('per method: off, a TTL for final answers, a budget of its own', async () => {
    const { chain, cache, read } = setup({ methods: { eth_getCode: { enabled: false }, eth_getBalance: { ttlMs: 500 }, eth_getBlockByNumber: { maxBytes: 2048 } } });
    const code: CacheRequest = { method: 'eth_getCode', params: [ADDRESS, '0x5a'], target: { kind: 'number', number: 90, moving: false } };
    await read(code, '0x60');
    expect((await read(code, '0x60')).cache).toBeUndefined();
    await read(balanceAt(90), '0x1');
    chain.time = 500;
    expect((await read(balanceAt(90), '0x1')).cache).toBe('miss');
    await read(balanceAt(91), '0x1');
    // Large blocks evict each other within their own budget, not the balances.
    for (let n = 1; n <= 20; n++) await read(blockAt(n), { number: `0x${n.toString(16)}`, hash: hashOf(n), extra: 'x'.repeat(300) });
    expect((await read(balanceAt(91), '0x1')).cache).toBe('hit');
    expect(cache.size.bytes).toBeLessThanOrEqual(OPTIONS.maxBytes + 2048);
  });

  it('lets other callers look up and store by request (the eth_getLogs engine for final sub-ranges)', async () => {
    const { cache } = setup();
    const logs: CacheRequest = { method: 'eth_getLogs', params: [{ fromBlock: '0x1', toBlock: '0x64' }], target: { kind: 'number', number: 100, moving: false } };
    expect(await cache.lookup(logs)).toBeUndefined();
    cache.store(logs, { body: { result: ResultBytes.fromValue([{ logIndex: '0x0' }]) }, outcome: 'success' });
    const found = await cache.lookup(logs);
    expect(found && 'result' in found && joined(found.result.segments).toString()).toBe('[{"logIndex":"0x0"}]');
  });
});
