import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcErrorCode } from '../../../src/jsonrpc/errors.js';
import { parsePayload, scanRawIds, serializeResponse } from '../../../src/jsonrpc/parse.js';
import type { ParsedItem, ParsedPayload } from '../../../src/jsonrpc/parse.js';

const opts = { maxBatchSize: 100 };

function single(p: ParsedPayload): ParsedItem {
  if (p.kind !== 'single') throw new Error(`expected single, got ${p.kind}`);
  return p.item;
}
function batch(p: ParsedPayload): ParsedItem[] {
  if (p.kind !== 'batch') throw new Error(`expected batch, got ${p.kind}`);
  return p.items;
}
function invalidOf(item: ParsedItem) {
  if (item.kind !== 'invalid') throw new Error('expected invalid item');
  return item.response;
}
function requestOf(item: ParsedItem) {
  if (item.kind !== 'request') throw new Error(`expected request, got ${JSON.stringify(item)}`);
  return item.request;
}

// https://www.jsonrpc.org/specification#examples
describe('JSON-RPC 2.0 specification examples', () => {
  it('positional parameters', () => {
    const r = requestOf(single(parsePayload('{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}', opts)));
    expect(r).toEqual({ jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: 1 });
  });

  it('named parameters', () => {
    const r = requestOf(
      single(parsePayload('{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}', opts)),
    );
    expect(r.params).toEqual({ subtrahend: 23, minuend: 42 });
    expect(r.id).toBe(3);
  });

  it('notification: no id member at all (not id: undefined)', () => {
    const r = requestOf(single(parsePayload('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}', opts)));
    expect('id' in r).toBe(false);
    expect(r.method).toBe('update');
  });

  it('invalid JSON -> -32700 with id null', () => {
    const p = parsePayload('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]', opts);
    expect(p).toMatchObject({ kind: 'error', response: { jsonrpc: '2.0', id: null, error: { code: -32700 } } });
  });

  it('invalid Request object -> -32600 with id null', () => {
    const res = invalidOf(single(parsePayload('{"jsonrpc": "2.0", "method": 1, "params": "bar"}', opts)));
    expect(res).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
  });

  it('batch, invalid JSON -> one -32700', () => {
    const p = parsePayload(
      '[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]',
      opts,
    );
    expect(p).toMatchObject({ kind: 'error', response: { id: null, error: { code: -32700 } } });
  });

  it('empty array -> one -32600 for the whole payload', () => {
    expect(parsePayload('[]', opts)).toMatchObject({ kind: 'error', response: { id: null, error: { code: -32600 } } });
  });

  it('invalid batch but not empty: [1] -> one -32600 item', () => {
    const items = batch(parsePayload('[1]', opts));
    expect(items).toHaveLength(1);
    expect(invalidOf(items[0]!)).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it('invalid batch: [1,2,3] -> three -32600 items', () => {
    const items = batch(parsePayload('[1,2,3]', opts));
    expect(items.map((i) => invalidOf(i).error.code)).toEqual([-32600, -32600, -32600]);
  });

  it('mixed batch: each element validated on its own', () => {
    const items = batch(
      parsePayload(
        `[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
      ]`,
        opts,
      ),
    );
    expect(items.map((i) => i.kind)).toEqual(['request', 'request', 'request', 'invalid', 'request', 'request']);
    expect(invalidOf(items[3]!)).toMatchObject({ id: null, error: { code: -32600 } });
    expect(requestOf(items[5]!)).toEqual({ jsonrpc: '2.0', method: 'get_data', id: '9' });
  });

  it('batch of notifications only', () => {
    const items = batch(
      parsePayload('[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]', opts),
    );
    expect(items.every((i) => i.kind === 'request' && !('id' in i.request))).toBe(true);
  });
});

describe('request validation', () => {
  const cases: Array<[string, string, number | string | null]> = [
    ['missing jsonrpc, id echoed', '{"method":"eth_call","id":7}', 7],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","method":"eth_call","id":"a"}', 'a'],
    ['jsonrpc as number 2', '{"jsonrpc":2.0,"method":"eth_call","id":1}', 1],
    ['empty method', '{"jsonrpc":"2.0","method":"","id":1}', 1],
    ['missing method', '{"jsonrpc":"2.0","id":1}', 1],
    ['params string (spec: structured value only)', '{"jsonrpc":"2.0","method":"m","params":"x","id":2}', 2],
    ['params null', '{"jsonrpc":"2.0","method":"m","params":null,"id":2}', 2],
    ['params number', '{"jsonrpc":"2.0","method":"m","params":5,"id":null}', null],
    ['id object', '{"jsonrpc":"2.0","method":"m","id":{"a":1}}', null],
    ['id array', '{"jsonrpc":"2.0","method":"m","id":[1]}', null],
    ['id boolean', '{"jsonrpc":"2.0","method":"m","id":true}', null],
    ['id object with other errors too', '{"jsonrpc":"1","id":{}}', null],
    ['top-level number', '1', null],
    ['top-level string', '"hello"', null],
    ['top-level null', 'null', null],
    ['top-level true', 'true', null],
  ];
  it.each(cases)('%s -> -32600', (_name, body, id) => {
    const res = invalidOf(single(parsePayload(body, opts)));
    expect(res.error.code).toBe(RpcErrorCode.InvalidRequest);
    expect(res.id).toStrictEqual(id);
    expect(res.jsonrpc).toBe('2.0');
  });

  it('invalid items keep the batch position', () => {
    const items = batch(parsePayload('[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b","id":true},[]]', opts));
    expect(items.map((i) => i.kind)).toEqual(['request', 'invalid', 'invalid']);
  });

  it('id null is kept (not a notification)', () => {
    const r = requestOf(single(parsePayload('{"jsonrpc":"2.0","method":"m","id":null}', opts)));
    expect('id' in r).toBe(true);
    expect(r.id).toBeNull();
  });

  it('drops unknown members, shares params without cloning', () => {
    const r = requestOf(single(parsePayload('{"jsonrpc":"2.0","method":"m","params":[{"a":1}],"id":1,"extra":true}', opts)));
    expect(Object.keys(r).sort()).toEqual(['id', 'jsonrpc', 'method', 'params']);
  });

  it('rpc.* methods pass parsing (refused by the method policy)', () => {
    expect(single(parsePayload('{"jsonrpc":"2.0","method":"rpc.discover","id":1}', opts)).kind).toBe('request');
  });

  it('accepts a Buffer, a UTF-8 BOM and surrounding whitespace', () => {
    const body = Buffer.from('\ufeff \n{"jsonrpc":"2.0","method":"eth_blockNumber","id":"ü"}\n ', 'utf8');
    expect(requestOf(single(parsePayload(body, opts)))).toEqual({ jsonrpc: '2.0', method: 'eth_blockNumber', id: 'ü' });
  });

  it.each(['', '   ', '{', 'nul', '{"a":1}}', "{'a':1}", '[1,]', 'NaN', '\u0000'])('parse error for %j', (body) => {
    expect(parsePayload(body, opts)).toMatchObject({ kind: 'error', response: { id: null, error: { code: -32700 } } });
  });

  it('batch larger than maxBatchSize -> one -32600; exactly max is fine', () => {
    const req = '{"jsonrpc":"2.0","method":"eth_chainId","id":1}';
    const atLimit = parsePayload(`[${Array(3).fill(req).join(',')}]`, { maxBatchSize: 3 });
    expect(atLimit.kind).toBe('batch');
    const over = parsePayload(`[${Array(4).fill(req).join(',')}]`, { maxBatchSize: 3 });
    expect(over).toMatchObject({ kind: 'error', response: { id: null, error: { code: -32600 } } });
    if (over.kind === 'error') expect(over.response.error.message).toContain('limit of 3');
  });

  it('params nested deeper than maxDepth are refused with the id echoed; shallower pass', () => {
    const nest = (d: number) => '['.repeat(d) + ']'.repeat(d);
    const deep = `{"jsonrpc":"2.0","method":"m","params":${nest(129)},"id":5}`;
    expect(invalidOf(single(parsePayload(deep, opts)))).toMatchObject({ id: 5, error: { code: -32600 } });
    const ok = `{"jsonrpc":"2.0","method":"m","params":${nest(128)},"id":5}`;
    expect(single(parsePayload(ok, opts)).kind).toBe('request');
    const objDeep = `{"jsonrpc":"2.0","method":"m","params":${'{"a":'.repeat(10) + '1' + '}'.repeat(10)},"id":5}`;
    expect(single(parsePayload(objDeep, { maxBatchSize: 1, maxDepth: 9 })).kind).toBe('invalid');
    expect(single(parsePayload(objDeep, { maxBatchSize: 1, maxDepth: 10 })).kind).toBe('request');
  });

  it('survives absurd nesting (100k levels) without throwing', () => {
    const body = `{"jsonrpc":"2.0","method":"m","params":${'['.repeat(100_000) + ']'.repeat(100_000)},"id":1}`;
    expect(single(parsePayload(body, opts)).kind).toBe('invalid');
    expect(batch(parsePayload('['.repeat(100_000) + ']'.repeat(100_000), opts))[0]!.kind).toBe('invalid');
  });
});

describe('ids: exact echo', () => {
  function echoed(body: string): string {
    const item = single(parsePayload(body, opts));
    const response =
      item.kind === 'request' ? { jsonrpc: '2.0' as const, id: item.request.id ?? null, result: '0x1' } : item.response;
    const text = serializeResponse(response, item.rawId);
    JSON.parse(text); // always valid JSON
    const m = /^\{"jsonrpc":"2\.0","id":(.*?),"(result|error)":/.exec(text);
    if (!m) throw new Error(`unexpected shape ${text}`);
    return m[1]!;
  }

  it.each([
    ['0', '0'],
    ['42', '42'],
    ['-7', '-7'],
    ['9007199254740991', '9007199254740991'],
    ['9007199254740993', '9007199254740993'],
    ['123456789012345678901234567890', '123456789012345678901234567890'],
    ['-123456789012345678901234567890', '-123456789012345678901234567890'],
    ['1.5', '1.5'],
    ['0.1000000000000000055511151231257827', '0.1000000000000000055511151231257827'],
    ['1e400', '1e400'],
    ['-1E-400', '-1E-400'],
    ['2.50', '2.50'],
    ['"abc"', '"abc"'],
    ['""', '""'],
    ['null', 'null'],
  ])('id %s is echoed as %s', (idText, expected) => {
    expect(echoed(`{"jsonrpc":"2.0","method":"m","id":${idText}}`)).toBe(expected);
  });

  it('raw id is also echoed on invalid requests', () => {
    expect(echoed('{"jsonrpc":"1.0","method":"m","id":123456789012345678901234567890}')).toBe('123456789012345678901234567890');
  });

  it('duplicate id keys: the last one wins, as in JSON.parse', () => {
    expect(echoed('{"id":1,"jsonrpc":"2.0","method":"m","id":18446744073709551617}')).toBe('18446744073709551617');
  });

  it('escaped "id" keys and tricky strings before the id are handled', () => {
    const body = '{"jsonrpc":"2.0","params":["\\"id\\":1,", {"id": 3}, "]}"],"method":"m","\\u0069d":18446744073709551617}';
    expect(echoed(body)).toBe('18446744073709551617');
  });

  it('batch: raw ids per element, elements that are not objects take their slot', () => {
    const p = parsePayload(
      '[ 5, {"jsonrpc":"2.0","method":"m","id":18446744073709551617} , {"jsonrpc":"2.0","method":"m","id":1e999},{"jsonrpc":"2.0","method":"m","id":3}]',
      opts,
    );
    const items = batch(p);
    expect(items.map((i) => i.rawId)).toEqual([undefined, '18446744073709551617', '1e999', undefined]);
    expect(scanRawIds('  [ {"id" : 1 } , "x", {"a":[{"id":2}]} ]')).toEqual(['1', undefined, undefined]);
  });

  it('parses with exactly one JSON.parse call for ordinary requests', () => {
    const spy = vi.spyOn(JSON, 'parse');
    parsePayload('[{"jsonrpc":"2.0","method":"eth_call","params":[{"to":"0x00"},"latest"],"id":1},{"jsonrpc":"2.0","method":"m","id":"x"}]', opts);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('serializeResponse', () => {
  it('writes members in order, undefined result as null', () => {
    expect(serializeResponse({ jsonrpc: '2.0', id: 1, result: { a: [1] } })).toBe('{"jsonrpc":"2.0","id":1,"result":{"a":[1]}}');
    expect(serializeResponse({ jsonrpc: '2.0', id: 'x', result: undefined })).toBe('{"jsonrpc":"2.0","id":"x","result":null}');
    expect(serializeResponse({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'bad' } })).toBe(
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"bad"}}',
    );
  });

  it('never throws: an unserializable result becomes -32603 for the same id', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const result of [cyclic, 10n]) {
      const out = JSON.parse(serializeResponse({ jsonrpc: '2.0', id: 9, result })) as { id: number; error: { code: number } };
      expect(out.id).toBe(9);
      expect(out.error.code).toBe(-32603);
    }
  });
});
