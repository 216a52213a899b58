import { describe, expect, it } from 'vitest';
import { ResultBytes } from '../../../src/jsonrpc/result-bytes.js';
import { isJsonArray, mergeLogs } from '../../../src/logs/index.js';
import { chunksOf, fixedLogsRange, paramsForRange } from '../../../src/logs/index.js';
import { cutForFailure, cutForRefusal, widestAccepted } from '../../../src/logs/index.js';

/** A result as an upstream body would hold it: arbitrary chunking and whitespace. */
function scanned(text: string, chunkSize = 3): ResultBytes {
  const body = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkSize) chunks.push(body.subarray(i, i + chunkSize));
  const start = text.search(/\S/);
  const end = text.trimEnd().length;
  return ResultBytes.fromScannedBody(chunks, {
    jsonrpc: undefined,
    id: undefined,
    result: { start, end },
    error: undefined,
    resultIsEmptyArray: /^\s*\[\s*\]\s*$/.test(text),
    resultNumber: undefined,
    resultHash: undefined,
  });
}

describe('mergeLogs', () => {
  it('splices the pieces in order, skipping empty ones, without parsing them', () => {
    const merged = mergeLogs([scanned('[{"a":1}, {"a":2} ]'), scanned('[]'), scanned('[ ]', 1), scanned('[{"a":3}]', 2)]);
    expect(merged.value()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(merged.isEmptyArray).toBe(false);
    expect(merged.byteLength).toBe(Buffer.concat([...merged.segments]).length);
  });

  it('gives an empty array when every piece is empty, and one piece as it is', () => {
    const empty = mergeLogs([scanned('[]'), ResultBytes.fromValue([])]);
    expect(empty.value()).toEqual([]);
    expect(empty.isEmptyArray).toBe(true);
    const one = scanned('[1]');
    expect(mergeLogs([one])).toBe(one);
  });

  it('tells an array from other results', () => {
    expect(isJsonArray(scanned(' [1]'))).toBe(true);
    expect(isJsonArray(ResultBytes.fromValue(null))).toBe(false);
    expect(isJsonArray(ResultBytes.fromValue({ a: 1 }))).toBe(false);
  });
});

describe('block ranges', () => {
  it('reads fixed ranges only', () => {
    expect(fixedLogsRange([{ fromBlock: '0x0', toBlock: '0x4af', address: '0x1' }])).toEqual({ from: 0, to: 1199 });
    expect(fixedLogsRange([{ fromBlock: 'earliest', toBlock: '0x10' }])).toEqual({ from: 0, to: 16 });
    expect(fixedLogsRange([{ fromBlock: '0x0', toBlock: 'latest' }])).toBeUndefined();
    expect(fixedLogsRange([{ blockHash: `0x${'ab'.repeat(32)}` }])).toBeUndefined();
    expect(fixedLogsRange([{ fromBlock: '0x10', toBlock: '0x1' }])).toBeUndefined();
    expect(fixedLogsRange('nonsense')).toBeUndefined();
  });

  it('rewrites only the bounds of the filter', () => {
    const params = [{ fromBlock: 'earliest', toBlock: '0x4af', address: '0x1', topics: [null] }];
    expect(paramsForRange(params, { from: 16, to: 31 })).toEqual([{ fromBlock: '0x10', toBlock: '0x1f', address: '0x1', topics: [null] }]);
    expect(params[0]?.fromBlock).toBe('earliest');
  });

  it('cuts a range into consecutive pieces', () => {
    expect(chunksOf({ from: 0, to: 1199 }, 500)).toEqual([{ from: 0, to: 499 }, { from: 500, to: 999 }, { from: 1000, to: 1199 }]);
    expect(chunksOf({ from: 5, to: 5 }, 100)).toEqual([{ from: 5, to: 5 }]);
  });
});

describe('split plan', () => {
  it('knows the widest accepted range only when every provider has a limit', () => {
    expect(widestAccepted([100, 500, 250])).toBe(500);
    expect(widestAccepted([100, undefined])).toBeUndefined();
    expect(widestAccepted([])).toBeUndefined();
  });

  it('cuts by the most generous known limit, else by the refusal\'s hint, else in halves', () => {
    expect(cutForRefusal(1200, [100, 250, 500], 100)).toEqual({ kind: 'split', size: 500 });
    expect(cutForRefusal(600, [500, 100], undefined)).toEqual({ kind: 'bisection', size: 300 });
    expect(cutForRefusal(1200, [undefined], 100)).toEqual({ kind: 'split', size: 100 });
    expect(cutForRefusal(1200, [undefined], undefined)).toEqual({ kind: 'bisection', size: 600 });
    expect(cutForRefusal(1, [undefined], undefined)).toBeUndefined();
  });

  it('after a failure, cuts only for a provider that takes narrower ranges', () => {
    expect(cutForFailure(500, [100, 250, 500])).toEqual({ kind: 'split', size: 250 });
    expect(cutForFailure(100, [100, 250, undefined])).toBeUndefined();
  });
});
