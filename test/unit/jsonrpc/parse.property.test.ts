/**
 * Property tests for parsePayload. Seedable: FC_SEED=<n> reproduces a run (fast-check prints the
 * seed and the shrunk counterexample of any failure).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../../../src/jsonrpc/errors.js';
import { parsePayload, serializeResponse } from '../../../src/jsonrpc/parse.js';
import type { ParsedItem } from '../../../src/jsonrpc/parse.js';

const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
fc.configureGlobal({ numRuns: 400, ...(seed !== undefined && { seed }) });

const MAX_BATCH = 20;
const opts = { maxBatchSize: MAX_BATCH };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Independent model of the spec rules: what a single element must produce. */
function expectedItem(v: unknown): { kind: 'request' } | { kind: 'invalid'; id: unknown } {
  if (!isPlainObject(v)) return { kind: 'invalid', id: null };
  const hasId = Object.hasOwn(v, 'id');
  const id = v.id;
  if (hasId && !(id === null || typeof id === 'string' || typeof id === 'number')) return { kind: 'invalid', id: null };
  const echo = hasId ? id : null;
  if (v.jsonrpc !== '2.0') return { kind: 'invalid', id: echo };
  if (typeof v.method !== 'string' || v.method === '') return { kind: 'invalid', id: echo };
  if (Object.hasOwn(v, 'params') && (typeof v.params !== 'object' || v.params === null)) return { kind: 'invalid', id: echo };
  return { kind: 'request' };
}

function checkItem(item: ParsedItem, v: unknown): void {
  const exp = expectedItem(v);
  expect(item.kind).toBe(exp.kind);
  if (item.kind === 'invalid' && exp.kind === 'invalid') {
    expect(item.response.error.code).toBe(RpcErrorCode.InvalidRequest);
    expect(item.response.jsonrpc).toBe('2.0');
    expect(Object.is(item.response.id, exp.id) || item.response.id === exp.id).toBe(true);
  }
  if (item.kind === 'request') {
    const o = v as Record<string, unknown>;
    expect(item.request.method).toBe(o.method);
    if (o.params === undefined) expect('params' in item.request).toBe(false);
    else expect(item.request.params).toStrictEqual(JSON.parse(JSON.stringify(o.params)));
    expect('id' in item.request).toBe(Object.hasOwn(o, 'id'));
    if (Object.hasOwn(o, 'id')) expect(item.request.id).toStrictEqual(o.id);
  }
}

/** The model of a whole JSON value: checks parsePayload's result against the spec rules. */
function checkValue(value: unknown, text: string): void {
  const p = parsePayload(text, opts);
  if (Array.isArray(value)) {
    if (value.length === 0 || value.length > MAX_BATCH) {
      expect(p.kind).toBe('error');
      if (p.kind === 'error') expect(p.response).toMatchObject({ id: null, error: { code: RpcErrorCode.InvalidRequest } });
      return;
    }
    expect(p.kind).toBe('batch');
    if (p.kind !== 'batch') return;
    expect(p.items).toHaveLength(value.length);
    p.items.forEach((item, i) => checkItem(item, value[i]));
    return;
  }
  expect(p.kind).toBe('single');
  if (p.kind === 'single') checkItem(p.item, value);
}

const idArb = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.maxSafeInteger());
const paramsArb = fc.option(fc.oneof(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })), { nil: undefined });
const validRequestArb = fc
  .record(
    { method: fc.string({ minLength: 1 }), params: paramsArb, id: fc.option(idArb, { nil: undefined }) },
    { requiredKeys: ['method'] },
  )
  .map((r) => {
    const o: Record<string, unknown> = { jsonrpc: '2.0', method: r.method };
    if (r.params !== undefined) o.params = r.params;
    if ('id' in r && r.id !== undefined) o.id = r.id;
    return o;
  });

/** One structural mutation of a valid request; the model decides what it should become. */
const mutationArb = fc.oneof(
  fc.record({ field: fc.constant('jsonrpc'), value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constant(undefined)) }),
  fc.record({ field: fc.constant('method'), value: fc.oneof(fc.constant(''), fc.constant(undefined), fc.jsonValue({ maxDepth: 1 })) }),
  fc.record({ field: fc.constant('params'), value: fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 })) }),
  fc.record({ field: fc.constant('id'), value: fc.oneof(fc.boolean(), fc.array(fc.integer()), fc.object({ maxDepth: 1 }), idArb) }),
  fc.record({ field: fc.string(), value: fc.jsonValue({ maxDepth: 2 }) }),
);

function mutate(req: Record<string, unknown>, m: { field: string; value: unknown }): Record<string, unknown> {
  const out = { ...req };
  if (m.value === undefined) delete out[m.field];
  else Object.defineProperty(out, m.field, { value: m.value, enumerable: true, writable: true, configurable: true });
  return out;
}

describe('parsePayload properties', () => {
  it('never throws on arbitrary strings; non-JSON is always -32700', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json().map((j) => j.slice(0, -1))), (s) => {
        const p = parsePayload(s, opts);
        let value: unknown;
        try {
          value = JSON.parse(s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);
        } catch {
          expect(p).toMatchObject({ kind: 'error', response: { id: null, error: { code: RpcErrorCode.ParseError } } });
          return;
        }
        checkValue(value, s);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(() => parsePayload(Buffer.from(bytes), opts)).not.toThrow();
      }),
    );
  });

  it('every JSON value is classified as the spec says', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        checkValue(value, JSON.stringify(value));
      }),
    );
  });

  it('mutated valid requests (single and in batches) get the right error, id echoed when usable', () => {
    const mutated = fc.tuple(validRequestArb, mutationArb).map(([r, m]) => mutate(r, m));
    fc.assert(
      fc.property(fc.oneof(mutated, fc.array(fc.oneof(mutated, validRequestArb, fc.jsonValue({ maxDepth: 2 })), { maxLength: MAX_BATCH + 3 })), (value) => {
        checkValue(value, JSON.stringify(value));
      }),
    );
  });

  it('valid requests round-trip: parsed as requests, id echoed exactly in the serialized response', () => {
    // Numeric ids as raw JSON text, including what a double cannot hold.
    const numberText = fc.oneof(
      fc.integer().map(String),
      fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
      fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -999, max: 999 })).map(([m, e]) => `${m}e${e}`),
      fc.constantFrom('0', '-0', '0.0', '1e400', '-1e-400', '2.50', '18446744073709551617'),
    );
    const idText = fc.oneof(fc.string().map((s) => JSON.stringify(s)), numberText, fc.constant('null'));
    fc.assert(
      fc.property(validRequestArb, idText, fc.boolean(), (req, id, asBatch) => {
        const { id: _drop, ...rest } = req;
        const body = JSON.stringify(rest).slice(0, -1) + `,"id":${id}}`;
        const p = parsePayload(asBatch ? `[${body}]` : body, opts);
        const item = p.kind === 'single' ? p.item : p.kind === 'batch' ? p.items[0] : undefined;
        if (item?.kind !== 'request') throw new Error(`not a request: ${JSON.stringify(p)}`);
        const out = serializeResponse({ jsonrpc: '2.0', id: item.request.id ?? null, result: 1 }, item.rawId);
        const echoedId = out.slice('{"jsonrpc":"2.0","id":'.length, -',"result":1}'.length);
        const parsedId: unknown = JSON.parse(id);
        if (typeof parsedId === 'number' && Number.isSafeInteger(parsedId) && parsedId !== 0) {
          // Canonical decimal: byte-exact unless the client wrote an integer as 1.0 / 1e2.
          expect(echoedId).toBe(String(parsedId));
        } else if (typeof parsedId === 'number') {
          expect(echoedId).toBe(id);
        } else {
          expect(JSON.parse(echoedId)).toStrictEqual(parsedId);
        }
        expect(() => JSON.parse(out)).not.toThrow();
      }),
    );
  });

  it('deep nesting anywhere never throws', () => {
    const nested = fc
      .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
      .map(([d, obj]) => (obj ? '{"a":'.repeat(d) + '1' + '}'.repeat(d) : '['.repeat(d) + ']'.repeat(d)));
    fc.assert(
      fc.property(nested, fc.constantFrom('params', 'id', 'method', 'top', 'batch'), (deep, where) => {
        const body =
          where === 'top' ? deep : where === 'batch' ? `[${deep},${deep}]` : `{"jsonrpc":"2.0","method":"m","id":1,"${where}":${deep}}`;
        const p = parsePayload(body, opts);
        expect(['single', 'batch', 'error']).toContain(p.kind);
        if (where === 'params') {
          const item = p.kind === 'single' ? p.item : undefined;
          const depth = (deep.match(/[[{]/g) ?? []).length;
          expect(item?.kind).toBe(depth > 128 ? 'invalid' : 'request');
        }
      }),
      { numRuns: 60 },
    );
  });

  it('huge and odd numbers anywhere never throw', () => {
    const num = fc.oneof(
      fc.bigInt({ min: -(10n ** 400n), max: 10n ** 400n }).map(String),
      fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.integer({ min: -5000, max: 5000 })).map(([m, e]) => `${m}.5e${e}`),
    );
    fc.assert(
      fc.property(num, num, (a, b) => {
        const body = `[{"jsonrpc":"2.0","method":"m","params":[${a},{"x":${b}}],"id":${a}},{"jsonrpc":"2.0","method":"m","id":${b}}]`;
        const p = parsePayload(body, opts);
        if (p.kind !== 'batch') throw new Error('expected batch');
        expect(p.items.map((i) => i.kind)).toEqual(['request', 'request']);
      }),
    );
  });
});
