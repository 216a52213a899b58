import { afterEach, describe, expect, it } from 'vitest';
import type { FilterRecord } from '../../../src/filters/filter-record.js';
import { parseLogCriteria, criteriaMatch, getLogsFilter } from '../../../src/filters/log-criteria.js';
import { MemoryFilterStore } from '../../../src/filters/memory-filter-store.js';

const record = (id: string, owner = 'ip:127.0.0.1'): FilterRecord => ({ id, chain: 'devnet', owner, kind: 'blocks', window: [{ number: 1, hash: '0x01' }] });

describe('in-memory filter store', () => {
  let store: MemoryFilterStore | undefined;
  afterEach(() => store?.close());

  it('idle filters expire; every poll restarts the idle timer; expiries are reported once', async () => {
    let now = 1_000;
    const expired: string[] = [];
    store = new MemoryFilterStore({ idleTimeoutMs: 300_000, now: () => now, onExpired: (f) => expired.push(`${f.chain}:${f.kind}`) });
    expect(await store.create(record('0xa'), 10)).toBe(true);
    now += 299_999;
    expect(await store.touch('0xa')).toBeDefined();
    now += 299_999;
    expect(await store.touch('0xa')).toBeDefined();
    now += 300_000;
    expect(await store.touch('0xa')).toBeUndefined();
    expect(await store.touch('0xa')).toBeUndefined();
    expect(expired).toEqual(['devnet:blocks']);
  });

  it('bounds the filters per owner; uninstalled and expired ones free their place', async () => {
    let now = 0;
    store = new MemoryFilterStore({ idleTimeoutMs: 1_000, now: () => now });
    expect(await store.create(record('0x1'), 2)).toBe(true);
    expect(await store.create(record('0x2'), 2)).toBe(true);
    expect(await store.create(record('0x3'), 2)).toBe(false);
    // Another client has its own allowance.
    expect(await store.create(record('0x4', 'key:other'), 2)).toBe(true);
    expect((await store.remove('0x1'))?.id).toBe('0x1');
    expect(await store.remove('0x1')).toBeUndefined();
    expect(await store.create(record('0x3'), 2)).toBe(true);
    now += 1_000;
    expect(await store.create(record('0x5'), 2)).toBe(true);
  });

  it('save stores the new position of an installed filter that did not move meanwhile', async () => {
    store = new MemoryFilterStore({ idleTimeoutMs: 1_000 });
    await store.create(record('0x1'), 5);
    const polled = (await store.touch('0x1')) as FilterRecord;
    const moved = { ...polled, window: [{ number: 2, hash: '0x02' }] };
    expect(await store.save(moved, polled)).toBe(true);
    expect((await store.touch('0x1'))?.window).toEqual([{ number: 2, hash: '0x02' }]);
    // A second poll that started from the old position lost the race.
    expect(await store.save({ ...polled, window: [{ number: 3, hash: '0x03' }] }, polled)).toBe(false);
    await store.remove('0x1');
    expect(await store.save(moved, moved)).toBe(false);
    expect(await store.touch('0x1')).toBeUndefined();
  });
});

describe('eth_newFilter criteria', () => {
  const address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
  const topic = `0x${'ab'.repeat(32)}`;

  it('numbers bound the reported logs, tags leave the end open and are passed on as given', () => {
    const c = parseLogCriteria([{ fromBlock: '0x10', toBlock: 'latest', address, topics: [topic] }]);
    expect(c).toMatchObject({ fromBlock: 16, range: { fromBlock: '0x10', toBlock: 'latest' } });
    expect(c.toBlock).toBeUndefined();
    const log = { address: address.toLowerCase(), topics: [topic], blockNumber: '0x10' };
    expect(criteriaMatch(c, log)).toBe(true);
    expect(criteriaMatch(c, { ...log, blockNumber: '0xf' })).toBe(false);
    expect(criteriaMatch(c, { ...log, topics: [`0x${'cd'.repeat(32)}`] })).toBe(false);
    expect(getLogsFilter(c)).toEqual({ address: address.toLowerCase(), topics: [topic], fromBlock: '0x10', toBlock: 'latest' });
  });

  it('refuses what geth refuses', () => {
    const bad: unknown[] = [
      [],
      [{}, {}],
      ['0x1'],
      [{ fromBlock: '0x5', toBlock: '0x4' }],
      [{ fromBlock: 'soon' }],
      [{ blockHash: `0x${'00'.repeat(32)}`, fromBlock: '0x1' }],
      [{ address: '0x12' }],
      [{ topics: [[topic], null, null, null, null] }],
      [{ limit: 5 }],
    ];
    for (const params of bad) expect(() => parseLogCriteria(params), JSON.stringify(params)).toThrow(expect.objectContaining({ code: -32602 }));
  });

  it('a blockHash filter reports that block only', () => {
    const hash = `0x${'0a'.repeat(32)}`;
    const c = parseLogCriteria([{ blockHash: hash.toUpperCase().replace('0X', '0x') }]);
    expect(criteriaMatch(c, { blockHash: hash, blockNumber: '0x1' })).toBe(true);
    expect(criteriaMatch(c, { blockHash: `0x${'0b'.repeat(32)}`, blockNumber: '0x1' })).toBe(false);
    expect(getLogsFilter(c)).toEqual({ blockHash: hash });
  });
});
