/** Logs filter normalisation and canonical keys. Property runs are seedable with FC_SEED=<n>. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logMatches, logsKey, normalizeLogFilter, parseSubscriptionRequest, upstreamFilter } from '../../../src/subscriptions/filter.js';

const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
fc.configureGlobal({ numRuns: 300, ...(seed !== undefined && { seed }) });

const A = '0x' + 'ab'.repeat(20);
const B = '0x' + '0c'.repeat(20);
const T1 = '0x' + '11'.repeat(32);
const T2 = '0x' + 'ef'.repeat(32);

describe('parseSubscriptionRequest', () => {
  it('accepts the three kinds, each with its key', () => {
    expect(parseSubscriptionRequest('newHeads', [])).toEqual({ kind: 'newHeads', key: 'newHeads' });
    expect(parseSubscriptionRequest('newPendingTransactions', [])).toMatchObject({ key: 'newPendingTransactions', fullTransactions: false });
    expect(parseSubscriptionRequest('newPendingTransactions', [true])).toMatchObject({ key: 'newPendingTransactions:full', fullTransactions: true });
    expect(parseSubscriptionRequest('logs', [])).toMatchObject({ kind: 'logs', filter: {} });
  });

  it('rejects unknown kinds and bad parameters with -32602 and a clear message', () => {
    expect(() => parseSubscriptionRequest('syncing', [])).toThrow(/unsupported subscription type "syncing"; expected one of newHeads, logs, newPendingTransactions/);
    expect(() => parseSubscriptionRequest(42, [])).toThrow(expect.objectContaining({ code: -32602 }));
    expect(() => parseSubscriptionRequest('newHeads', [{ foo: 1 }])).toThrow(/newHeads takes no parameters/);
    expect(() => parseSubscriptionRequest('newPendingTransactions', ['yes'])).toThrow(/boolean/);
    expect(() => parseSubscriptionRequest('logs', [{}, {}])).toThrow(/one parameter/);
  });
});

describe('normalizeLogFilter', () => {
  it('lowercases, dedupes and sorts addresses; a single one is sent upstream as a string', () => {
    const f = normalizeLogFilter({ address: [B, A.toUpperCase().replace('0X', '0x'), A] });
    expect(f.address).toEqual([B, A].sort());
    expect(upstreamFilter(normalizeLogFilter({ address: [A, A] }))).toEqual({ address: A });
    expect(normalizeLogFilter({ address: [] })).toEqual({});
  });

  it('normalises topics: null wildcards, sorted OR-lists, single-element lists, trailing wildcards trimmed', () => {
    expect(normalizeLogFilter({ topics: [T2, [T2, T1, T1], null, null] })).toEqual({ topics: [T2, [T1, T2]] });
    expect(normalizeLogFilter({ topics: [[T1], null, T2] })).toEqual({ topics: [T1, null, T2] });
    expect(normalizeLogFilter({ topics: [[T1, null]] })).toEqual({}); // null inside an OR-list matches anything
    expect(normalizeLogFilter({ topics: [[]] })).toEqual({});
    expect(normalizeLogFilter({ topics: [null, null] })).toEqual({});
  });

  it('rejects what geth rejects, saying where', () => {
    expect(() => normalizeLogFilter({ address: '0x12' })).toThrow(/address must be a 20-byte hex string/);
    expect(() => normalizeLogFilter({ address: [A, 7] })).toThrow(/address\[1\]/);
    expect(() => normalizeLogFilter({ topics: [T1, T1, T1, T1, T1] })).toThrow(/at most 4 topic positions/);
    expect(() => normalizeLogFilter({ topics: ['0x11'] })).toThrow(/topics\[0\] must be a 32-byte hex string/);
    expect(() => normalizeLogFilter({ topics: [[T1, 3]] })).toThrow(/topics\[0\]\[1\]/);
    expect(() => normalizeLogFilter({ topics: T1 })).toThrow(/topics must be an array/);
    expect(() => normalizeLogFilter({ blockHash: T1 })).toThrow(/unsupported field "blockHash"/);
    expect(() => normalizeLogFilter('x')).toThrow(/must be an object/);
  });

  it('property: spelling variants of one filter share one key', () => {
    const addr = fc.constantFrom(A, B, '0x' + '3d'.repeat(20));
    const top = fc.constantFrom(T1, T2, '0x' + 'a0'.repeat(32));
    fc.assert(
      fc.property(
        fc.uniqueArray(addr, { minLength: 1, maxLength: 3 }),
        fc.array(fc.option(fc.uniqueArray(top, { minLength: 1, maxLength: 3 }), { nil: null }), { maxLength: 4 }),
        fc.infiniteStream(fc.boolean()),
        (addresses, topics, coin) => {
          const canonical = normalizeLogFilter({ address: addresses, topics });
          // Variant: shuffled (reversed), duplicated, upper-cased, plus trailing wildcards if room.
          const variantAddresses = [...addresses].reverse().flatMap((a) => (coin.next().value ? [a, a.toUpperCase().replace('0X', '0x')] : [a]));
          const variantTopics: unknown[] = topics.map((t) => (t === null ? null : t.length === 1 && coin.next().value ? t[0] : [...t].reverse()));
          while (variantTopics.length < 4 && coin.next().value) variantTopics.push(null);
          expect(logsKey(normalizeLogFilter({ address: variantAddresses, topics: variantTopics }))).toBe(logsKey(canonical));
        },
      ),
    );
  });
});

describe('logMatches', () => {
  const log = { address: A.toUpperCase().replace('0X', '0x'), topics: [T1, T2] };
  it('applies geth semantics: address set, positional topics, wildcards, OR-lists', () => {
    expect(logMatches(log, {})).toBe(true);
    expect(logMatches(log, { address: [A] })).toBe(true);
    expect(logMatches(log, { address: [B] })).toBe(false);
    expect(logMatches(log, { topics: [T1] })).toBe(true);
    expect(logMatches(log, { topics: [null, [T1, T2]] })).toBe(true);
    expect(logMatches(log, { topics: [T2] })).toBe(false);
    expect(logMatches(log, { topics: [null, null, T1] })).toBe(false); // no third topic
  });
});
