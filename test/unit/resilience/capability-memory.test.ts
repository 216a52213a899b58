import { describe, expect, it } from 'vitest';
import { CapabilityMemory, classifyOutcome, logsRangeSize } from '../../../src/resilience/index.js';
import type { Classification } from '../../../src/resilience/index.js';

function setup(options: ConstructorParameters<typeof CapabilityMemory>[0] = {}) {
  const clock = { t: 0 };
  return { clock, memory: new CapabilityMemory({ now: () => clock.t, ...options }) };
}

function classifyRpc(code: number, message: string, method: string): Classification {
  const c = classifyOutcome({ type: 'rpc_error', error: { code, message }, httpStatus: 200 }, method);
  if (c === null) throw new Error('unexpected success');
  return c;
}

describe('CapabilityMemory', () => {
  it('keeps a stated log range limit for a splitter, and skips ranges above it or above what failed', () => {
    const { memory } = setup();
    const refusal = classifyRpc(-32000, 'exceed maximum block range: 2000', 'eth_getLogs');
    memory.record('a', 'eth_getLogs', refusal, { rangeSize: 5_000 });
    expect(memory.logsRangeLimit('a', 'eth_getLogs')).toBe(2_000);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 2_000 })).toBe(false);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 2_001 })).toBe(true);
    // A result-count refusal can fail below the stated block limit: what failed counts too.
    memory.record('a', 'eth_getLogs', refusal, { rangeSize: 1_500 });
    expect(memory.logsRangeLimit('a', 'eth_getLogs')).toBe(1_499);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 1_500 })).toBe(true);
    memory.record('b', 'eth_getLogs', classifyRpc(-32005, 'limit exceeded', 'eth_getLogs'), { rangeSize: 800 });
    expect(memory.logsRangeLimit('b', 'eth_getLogs')).toBe(799);
    expect(memory.logsRangeLimit('c', 'eth_getLogs')).toBeUndefined();
  });

  it('remembers an unsupported method per (provider, method) for the TTL', () => {
    const { memory, clock } = setup({ ttlMs: 1_000 });
    memory.markUnsupported('a', 'trace_block');
    expect(memory.isUnsupported('a', 'trace_block')).toBe(true);
    expect(memory.isUnsupported('a', 'eth_call')).toBe(false);
    expect(memory.isUnsupported('b', 'trace_block')).toBe(false);
    clock.t += 999;
    expect(memory.isUnsupported('a', 'trace_block')).toBe(true);
    clock.t += 1;
    expect(memory.isUnsupported('a', 'trace_block')).toBe(false);
    expect(memory.size).toBe(0);
  });

  it('skips a provider only for log ranges at least as large as one that failed', () => {
    const { memory } = setup();
    memory.markRangeTooLarge('a', 'eth_getLogs', 5_000);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 4_999 })).toBe(false);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 5_000 })).toBe(true);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 10_000 })).toBe(true);
    expect(memory.isUnsupported('a', 'eth_getLogs')).toBe(false); // unknown size: try it
    memory.markRangeTooLarge('a', 'eth_getLogs', 2_000);
    memory.markRangeTooLarge('a', 'eth_getLogs', 8_000);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 2_000 })).toBe(true);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 1_999 })).toBe(false);
  });

  it('forgets a range limit when a range that large succeeds', () => {
    const { memory } = setup();
    memory.markRangeTooLarge('a', 'eth_getLogs', 1_000);
    memory.recordSuccess('a', 'eth_getLogs', { rangeSize: 999 });
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 1_000 })).toBe(true);
    memory.recordSuccess('a', 'eth_getLogs', { rangeSize: 1_500 });
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 1_000 })).toBe(false);
  });

  it('record() learns only what generalises', () => {
    const { memory } = setup();
    memory.record('a', 'trace_block', classifyRpc(-32601, 'method not found', 'trace_block'));
    memory.record('a', 'eth_getLogs', classifyRpc(-32005, 'query returned more than 10000 results', 'eth_getLogs'), { rangeSize: 20_000 });
    memory.record('a', 'eth_call', classifyRpc(-32000, 'missing trie node abc', 'eth_call'));
    memory.record('a', 'eth_getBlockByNumber', classifyRpc(-32000, 'pending block is not supported', 'eth_getBlockByNumber'));
    memory.record('a', 'eth_chainId', classifyRpc(3, 'execution reverted', 'eth_chainId'));
    memory.record('b', 'eth_getLogs', classifyRpc(-32005, 'query returned more than 10000 results', 'eth_getLogs')); // no size: nothing
    expect(memory.isUnsupported('a', 'trace_block')).toBe(true);
    expect(memory.isUnsupported('a', 'eth_getLogs', { rangeSize: 20_000 })).toBe(true);
    expect(memory.isUnsupported('a', 'eth_call')).toBe(false);
    expect(memory.isUnsupported('a', 'eth_getBlockByNumber')).toBe(false);
    expect(memory.isUnsupported('b', 'eth_getLogs', { rangeSize: 1e9 })).toBe(false);
    expect(memory.snapshot().map((e) => `${e.providerId}/${e.method}`).sort()).toEqual(['a/eth_getLogs', 'a/trace_block']);
  });

  it('learns a pruned history floor from errors for blocks well below the provider head, not near it', () => {
    const { memory, clock } = setup({ ttlMs: 1_000 });
    const trie = classifyRpc(-32000, 'missing trie node 1a2b (path )', 'eth_call');
    const header = classifyRpc(-32000, 'header not found', 'eth_getBalance');
    // Near its head: lag or a reorg, not pruning.
    memory.record('a', 'eth_call', trie, { blockNumber: 9_990, providerHead: 10_000 });
    memory.record('a', 'eth_call', trie, { blockNumber: 500 }); // head unknown: nothing
    expect(memory.learnedOldestBlock('a')).toBeUndefined();
    memory.record('a', 'eth_call', trie, { blockNumber: 5_000, providerHead: 10_000 });
    expect(memory.learnedOldestBlock('a')).toBe(5_001);
    // Floors only rise (pruning moves forward), whatever the method.
    memory.record('a', 'eth_getBalance', header, { blockNumber: 7_000, providerHead: 10_050 });
    memory.record('a', 'eth_call', trie, { blockNumber: 100, providerHead: 10_050 });
    expect(memory.learnedOldestBlock('a')).toBe(7_001);
    expect(memory.learnedOldestBlock('b')).toBeUndefined();
    expect(memory.isUnsupported('a', 'eth_call')).toBe(false);
    clock.t += 1_000;
    expect(memory.learnedOldestBlock('a')).toBeUndefined();
    memory.markPrunedBelow('a', 42);
    memory.forget('a');
    expect(memory.learnedOldestBlock('a')).toBeUndefined();
  });

  it('stays bounded, evicting the least recently learned entry', () => {
    const { memory } = setup({ maxEntries: 3 });
    for (const m of ['m1', 'm2', 'm3', 'm4']) memory.markUnsupported('a', m);
    expect(memory.size).toBe(3);
    expect(memory.isUnsupported('a', 'm1')).toBe(false);
    expect(memory.isUnsupported('a', 'm4')).toBe(true);
  });

  it('forget() drops one method or a whole provider', () => {
    const { memory } = setup();
    memory.markUnsupported('a', 'm1');
    memory.markUnsupported('a', 'm2');
    memory.markUnsupported('ab', 'm1');
    memory.forget('a', 'm1');
    expect(memory.isUnsupported('a', 'm1')).toBe(false);
    memory.forget('a');
    expect(memory.isUnsupported('a', 'm2')).toBe(false);
    expect(memory.isUnsupported('ab', 'm1')).toBe(true);
  });
});

describe('logsRangeSize', () => {
  it('resolves hex bounds, tags and defaults', () => {
    expect(logsRangeSize([{ fromBlock: '0x10', toBlock: '0x1f' }], undefined)).toBe(16);
    expect(logsRangeSize([{ fromBlock: '0x0', toBlock: 'latest' }], 99)).toBe(100);
    expect(logsRangeSize([{ fromBlock: 'earliest' }], 9)).toBe(10);
    expect(logsRangeSize([{}], 100)).toBe(1);
    expect(logsRangeSize([{ blockHash: '0xabc' }], undefined)).toBe(1);
  });

  it('returns undefined when it cannot tell', () => {
    expect(logsRangeSize([{ fromBlock: '0x0' }], undefined)).toBeUndefined();
    expect(logsRangeSize([{ fromBlock: '0x10', toBlock: '0x1' }], 100)).toBeUndefined();
    expect(logsRangeSize([{ fromBlock: 'nonsense' }], 100)).toBeUndefined();
    expect(logsRangeSize([], 100)).toBeUndefined();
    expect(logsRangeSize({ fromBlock: '0x1' }, 100)).toBeUndefined();
  });
});
