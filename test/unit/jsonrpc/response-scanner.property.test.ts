/**
 * Property tests for the streaming response scanner and answer splicing. Seedable: FC_SEED=<n>
 * reproduces a run (fast-check prints the seed and the shrunk counterexample of any failure).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joined } from '../../../src/jsonrpc/byte-segments.js';
import { parsePayload } from '../../../src/jsonrpc/parse.js';
import { ResponseScanner } from '../../../src/jsonrpc/response-scanner.js';
import type { ScanResult } from '../../../src/jsonrpc/response-scanner.js';
import { ResultBytes } from '../../../src/jsonrpc/result-bytes.js';
import { idText, splicedBatch, splicedSuccess } from '../../../src/jsonrpc/splice.js';

const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
fc.configureGlobal({ numRuns: 400, ...(seed !== undefined && { seed }) });

/** Scans `body` fed in chunks cut at the given fractions of its length. */
function scan(body: Buffer, cuts: readonly number[] = []): { result: ScanResult; chunks: Buffer[] } {
  const points = [...new Set(cuts.map((f) => Math.floor(f * body.length)))].sort((a, b) => a - b);
  const scanner = new ResponseScanner();
  let from = 0;
  for (const p of [...points, body.length]) {
    if (p > from) scanner.push(body.subarray(from, p));
    from = Math.max(from, p);
  }
  return { result: scanner.finish(), chunks: [...scanner.seenChunks] };
}

function parses(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });
/** Characters that matter to the grammar, plus some that must be refused. */
const jsonish = fc.string({
  unit: fc.constantFrom(...'{}[],:"\\/ \n\t\r0123456789-+.eEtrufalsn\u0001\u00e9xubfa'.split('')),
  maxLength: 40,
});
const indent = fc.constantFrom(undefined, 0, 1, 2, '\t');

describe('ResponseScanner agrees with JSON.parse', () => {
  it('accepts every JSON text, however it is cut into chunks', () => {
    fc.assert(
      fc.property(fc.jsonValue(), indent, cuts, (value, space, c) => {
        const body = Buffer.from(JSON.stringify(value, null, space));
        expect(scan(body, c).result.ok).toBe(true);
      }),
    );
  });

  it('decides like JSON.parse on grammar-heavy strings', () => {
    fc.assert(
      fc.property(jsonish, cuts, (text, c) => {
        const body = Buffer.from(text);
        expect(scan(body, c).result.ok).toBe(parses(body));
      }),
      { numRuns: 1500 },
    );
  });

  it('decides like JSON.parse on mutated and truncated JSON', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('delete', 'insert', 'truncate', 'replace'), fc.constantFrom(...'{}[],:"\\ 0-.e\u0000x'.split('')))
      .map(([json, at, how, ch]) => {
        const i = json.length === 0 ? 0 : at % json.length;
        if (how === 'delete') return json.slice(0, i) + json.slice(i + 1);
        if (how === 'insert') return json.slice(0, i) + ch + json.slice(i);
        if (how === 'replace') return json.slice(0, i) + ch + json.slice(i + 1);
        return json.slice(0, i);
      });
    fc.assert(
      fc.property(mutated, cuts, (text, c) => {
        const body = Buffer.from(text);
        expect(scan(body, c).result.ok).toBe(parses(body));
      }),
      { numRuns: 1000 },
    );
  });

  it('decides like JSON.parse on long strings, at every alignment of the chunks in memory', () => {
    // Long runs of plain bytes take the four-bytes-at-a-time path; the bytes that end a string's
    // plain run (quote, backslash, control characters) and high bytes are sprinkled among them.
    const longText = fc
      .tuple(
        fc.array(fc.constantFrom<string>('a', '0', 'x', '\u00e9', '\u20ac'), { minLength: 60, maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('"', '\\', '\\n', '\\u0041', '\n', '\t', '\u0000', '\u001f', ' ', '\u00ff', '\\q')), { maxLength: 3 }),
      )
      .map(([units, inserts]) => {
        for (const [at, s] of inserts) units.splice(at % (units.length + 1), 0, s);
        return `{"id":1,"result":["${units.join('')}","${units.slice(0, 70).join('')}"]}`;
      });
    fc.assert(
      fc.property(longText, cuts, fc.nat({ max: 3 }), (text, c, offset) => {
        const bytes = Buffer.from(text);
        // The same bytes at `offset` into a larger buffer, so that words start at each alignment.
        const shifted = Buffer.alloc(bytes.length + 4);
        bytes.copy(shifted, offset);
        const body = shifted.subarray(offset, offset + bytes.length);
        expect(scan(body, c).result.ok).toBe(parses(bytes));
      }),
      { numRuns: 1500 },
    );
  });

  it('names truncation and malformation', () => {
    expect(scan(Buffer.from('{"jsonrpc":"2.0","id":1,"result":[1,2')).result).toMatchObject({ ok: false, reason: 'truncated' });
    expect(scan(Buffer.from('')).result).toMatchObject({ ok: false, reason: 'truncated' });
    expect(scan(Buffer.from('{"a":1}}')).result).toMatchObject({ ok: false, reason: 'malformed', at: 7 });
    expect(scan(Buffer.from('\ufeff{}')).result).toMatchObject({ ok: false, reason: 'malformed', at: 0 });
    expect(scan(Buffer.from('-')).result.ok).toBe(false);
    expect(scan(Buffer.from(' 12 ')).result.ok).toBe(true);
  });
});

/** A JSON-RPC success body with members in any order, any whitespace, and extra members. */
const envelopeBody = fc
  .record({ id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), result: fc.jsonValue(), extra: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })) })
  .chain(({ id, result, extra }) =>
    fc.tuple(fc.shuffledSubarray(Object.keys(extra), { minLength: 0 }), indent, fc.nat()).map(([keys, space, at]) => {
      const members: Array<[string, unknown]> = keys.filter((k) => !['jsonrpc', 'id', 'result', 'error'].includes(k)).map((k) => [k, extra[k]]);
      const envelope: Array<[string, unknown]> = [['jsonrpc', '2.0'], ['id', id], ['result', result]];
      for (const m of envelope) members.splice(members.length === 0 ? 0 : at % (members.length + 1), 0, m);
      return { text: JSON.stringify(Object.fromEntries(members), null, space), id, result };
    }),
  );

describe('envelope layout', () => {
  it('finds jsonrpc, id and the result bytes; the result parses to the upstream value', () => {
    fc.assert(
      fc.property(envelopeBody, cuts, ({ text, id, result }, c) => {
        const { result: scanned, chunks } = scan(Buffer.from(text), c);
        if (!scanned.ok || scanned.envelope === undefined) throw new Error('expected an object body');
        const layout = scanned.envelope;
        const body = Buffer.from(text);
        expect(JSON.parse(body.subarray(layout.jsonrpc!.start, layout.jsonrpc!.end).toString())).toBe('2.0');
        expect(JSON.parse(body.subarray(layout.id!.start, layout.id!.end).toString())).toEqual(id);
        const bytes = ResultBytes.fromScannedBody(chunks, layout);
        expect(JSON.parse(joined(bytes.segments).toString())).toEqual(JSON.parse(JSON.stringify(result)));
        expect(bytes.value()).toEqual(JSON.parse(JSON.stringify(result)));
        expect(bytes.isNull).toBe(result === null);
        expect(bytes.isEmptyArray).toBe(Array.isArray(result) && result.length === 0);
      }),
    );
  });

  it('reads a block number and hash at the top of an object result, not deeper', () => {
    const body = Buffer.from(
      '{"id":3,"result":{"transactions":[{"number":"0x9","hash":"0xdead"}],"number":"0x1b4","hash":"0xabc","parentHash":"0x1"},"jsonrpc":"2.0"}',
    );
    const { result, chunks } = scan(body, [0.3, 0.31, 0.7]);
    if (!result.ok || !result.envelope) throw new Error('expected ok');
    const bytes = ResultBytes.fromScannedBody(chunks, result.envelope);
    expect(bytes.blockNumber()).toBe('0x1b4');
    expect(bytes.blockHash()).toBe('0xabc');
    expect(bytes.isNull).toBe(false);
  });

  it('sees an error member, a duplicate result (the last wins) and escaped keys', () => {
    const err = scan(Buffer.from('{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x"}}')).result;
    expect(err.ok && err.envelope?.error && err.envelope.result === undefined).toBe(true);
    const dup = scan(Buffer.from('{"result":[1],"\\u0072esult":[],"id":1}'));
    if (!dup.result.ok || !dup.result.envelope) throw new Error('expected ok');
    expect(ResultBytes.fromScannedBody(dup.chunks, dup.result.envelope).isEmptyArray).toBe(true);
    expect(scan(Buffer.from('[{"result":1}]')).result).toMatchObject({ ok: true, envelope: undefined });
  });
});

describe('spliced answers', () => {
  /** Client ids of every kind, as a client writes them. */
  const idSource = fc.oneof(
    fc.constantFrom('null', '0', '-0.0', '1e400', '9007199254740993', '123456789012345678901234567890', '1.5', '7'),
    fc.integer().map(String),
    fc.string().map((s) => JSON.stringify(s)),
  );

  it('echo the client id byte for byte and parse to the upstream result', () => {
    fc.assert(
      fc.property(idSource, fc.jsonValue(), cuts, (rawIdSource, result, c) => {
        const parsed = parsePayload(`{"jsonrpc":"2.0","id":${rawIdSource},"method":"m"}`, { maxBatchSize: 10 });
        if (parsed.kind !== 'single' || parsed.item.kind !== 'request') throw new Error('expected a request');
        const upstream = Buffer.from(`{"jsonrpc":"2.0","id":99,"result":${JSON.stringify(result)}}`);
        const { result: scanned, chunks } = scan(upstream, c);
        if (!scanned.ok || !scanned.envelope) throw new Error('expected ok');
        const answer = joined(splicedSuccess(idText(parsed.item.request.id, parsed.item.rawId), ResultBytes.fromScannedBody(chunks, scanned.envelope).segments)).toString();
        const expectedId = rawIdSource.startsWith('"') || rawIdSource === 'null' || parsed.item.rawId !== undefined ? rawIdSource : String(JSON.parse(rawIdSource));
        expect(answer.startsWith(`{"jsonrpc":"2.0","id":${expectedId},"result":`)).toBe(true);
        expect(JSON.parse(answer).result).toEqual(JSON.parse(JSON.stringify(result)));
      }),
    );
  });

  it('frame a small result in one buffer, and never copy a large one', () => {
    const small = splicedSuccess('"é"', [Buffer.from('"0x'), Buffer.from('1"')]);
    expect(small).toHaveLength(1);
    expect(joined(small).toString()).toBe('{"jsonrpc":"2.0","id":"é","result":"0x1"}');
    const result = Buffer.alloc(5000, '1');
    const large = splicedSuccess('2', [result]);
    expect(large[1]).toBe(result);
    expect(joined(large).toString()).toBe(`{"jsonrpc":"2.0","id":2,"result":${result.toString()}}`);
  });

  it('join a batch in order', () => {
    const a = splicedSuccess('1', [Buffer.from('[1,'), Buffer.from('2]')]);
    const b = splicedSuccess('"x"', [Buffer.from('null')]);
    expect(joined(splicedBatch([a, b])).toString()).toBe('[{"jsonrpc":"2.0","id":1,"result":[1,2]},{"jsonrpc":"2.0","id":"x","result":null}]');
  });
});
