/**
 * A streaming JSON validator for upstream answers: it checks a whole body, fed as Buffer chunks in
 * arrival order, against the JSON grammar (RFC 8259, exactly what JSON.parse accepts on the
 * body's UTF-8 text) without building any value, and in the same pass records where the JSON-RPC
 * envelope's members are, so that Lasso can answer with the result's bytes instead of a parse and
 * re-serialisation.
 *
 * Why by hand: the streaming JSON libraries on npm (jsonparse, clarinet, stream-json,
 * @streamparser/json) decode every string and allocate a token per value, which is several times
 * slower than the wire on a 20 MB eth_getLogs answer, and none reports byte offsets of a member.
 * This scanner allocates nothing per token: its state is a few numbers and a container stack.
 *
 * What it records (as absolute byte offsets into the body): for a top-level object, the value of
 * its `jsonrpc`, `id`, `result` and `error` members (the last one wins on duplicate keys, as in
 * JSON.parse), and cheap facts about the result: its first byte (so `null`, array, object... is
 * known), whether an array result is empty, and the `number` and `hash` members of an object
 * result. Bodies that are valid JSON but not an object (a batch, a bare value) are still validated.
 */
import { joined, sliceChunks } from './byte-segments.js';

/** Byte offsets [start, end) into the body. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Where the envelope's members are, for a body that is a JSON object. */
export interface EnvelopeLayout {
  jsonrpc: ByteRange | undefined;
  id: ByteRange | undefined;
  result: ByteRange | undefined;
  error: ByteRange | undefined;
  /** The result is an array with no element. */
  resultIsEmptyArray: boolean;
  /** Top-level `number` member of an object result. */
  resultNumber: ByteRange | undefined;
  /** Top-level `hash` member of an object result. */
  resultHash: ByteRange | undefined;
}

export type ScanResult =
  | { ok: true; length: number; envelope: EnvelopeLayout | undefined }
  /** `truncated`: the body ended inside a value (or was empty); `malformed`: a byte broke the grammar at `at`. */
  | { ok: false; reason: 'truncated' | 'malformed'; at: number };

// Parser states. Plain constants: const enums do not survive isolated-module transpilers.
const S_VALUE = 0; // expecting a value
const S_AFTER_VALUE = 1; // expecting ',' or a closing bracket (or the end at top level)
const S_KEY_OR_CLOSE = 2; // right after '{'
const S_KEY = 3; // after ',' in an object
const S_COLON = 4;
const S_VALUE_OR_CLOSE = 5; // right after '['
const S_STRING = 6;
const S_ESCAPE = 7;
const S_UNICODE = 8; // inside \uXXXX, `pending` hex digits left
const S_LITERAL = 9; // inside true/false/null, `literal` and `pending` say where
const S_NUMBER = 10; // inside a number, `numberState` says where
const S_DONE = 11; // top-level value complete: only whitespace may follow
const S_ERROR = 12;

// Number sub-states (the JSON number grammar).
const N_MINUS = 0; // after '-': a digit must follow
const N_ZERO = 1; // a leading 0: '.', 'e' or the end may follow
const N_INT = 2; // in the integer digits
const N_DOT = 3; // after '.': a digit must follow
const N_FRAC = 4;
const N_EXP = 5; // after 'e': a sign or digit must follow
const N_EXP_SIGN = 6; // after the exponent sign: a digit must follow
const N_EXP_DIGITS = 7;

/** 1 for the bytes that end plain string content: quote, backslash and control characters. */
const STRING_STOP = new Uint8Array(256).fill(1, 0, 0x20);
STRING_STOP[0x22] = 1;
STRING_STOP[0x5c] = 1;
const NO_WORDS = new Int32Array(0);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const OBJECT = 1;
const ARRAY = 2;

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

// What a member value at depth 1 (of the top-level object) or depth 2 (of an object result) is.
const M_OTHER = 0;
const M_JSONRPC = 1;
const M_ID = 2;
const M_RESULT = 3;
const M_ERROR = 4;
const M_NUMBER = 5;
const M_HASH = 6;

/** Keys longer than this cannot be one the envelope looks for, even written with escapes. */
const MAX_INTERESTING_KEY_BYTES = 64;

export class ResponseScanner {
  private state = S_VALUE;
  /** The state a string, literal or number returns to is always S_AFTER_VALUE; keys go to S_COLON. */
  private stringIsKey = false;
  private numberState = 0;
  private literal: Buffer = NULL;
  private pending = 0;
  /** OBJECT or ARRAY per open container (a plain array: no typed array to allocate per answer). */
  private readonly stack: number[] = [];
  private depth = 0;
  /** Bytes of the body before the current chunk. */
  private base = 0;
  private errorAt = -1;

  // Envelope bookkeeping.
  private readonly chunks: Buffer[] = [];
  private topIsObject = false;
  private keyStart = -1;
  /** What the value now being read at depth 1 / depth 2 is for. */
  private member1 = M_OTHER;
  private member2 = M_OTHER;
  private valueStart = -1;
  private resultFirstByte = 0;
  private resultHasElement = false;
  private readonly layout: EnvelopeLayout = {
    jsonrpc: undefined,
    id: undefined,
    result: undefined,
    error: undefined,
    resultIsEmptyArray: false,
    resultNumber: undefined,
    resultHash: undefined,
  };
  private nestedValueStart = -1;

  /** Bytes seen so far. */
  get length(): number {
    return this.base;
  }

  /** The chunks seen so far, in order (kept for key comparison and handed on by the caller). */
  get seenChunks(): readonly Buffer[] {
    return this.chunks;
  }

  /** Feeds the next chunk. Returns false once the body is known to be malformed (later chunks are ignored). */
  push(chunk: Buffer): boolean {
    if (this.state === S_ERROR) return false;
    this.chunks.push(chunk);
    const ok = this.scan(chunk);
    this.base += chunk.length;
    return ok;
  }

  /** The verdict once the body has ended. */
  finish(): ScanResult {
    if (this.state === S_ERROR) return { ok: false, reason: 'malformed', at: this.errorAt };
    if (this.state === S_NUMBER && this.depth === 0) this.endNumber(this.base);
    if (this.state === S_ERROR) return { ok: false, reason: 'truncated', at: this.base };
    if (this.state !== S_DONE) return { ok: false, reason: 'truncated', at: this.base };
    return { ok: true, length: this.base, envelope: this.topIsObject ? this.layout : undefined };
  }

  // The hot loop, over the chunk's bytes with the state in locals. Strings (most of a large
  // answer's bytes) are crossed four bytes at a time (plainStringEnd), literals are compared in
  // place, and the envelope bookkeeping runs only for values of the top two levels.
  private scan(buf: Buffer): boolean {
    const n = buf.length;
    let i = 0;
    let state = this.state;
    // The chunk as 32-bit words from its first 4-byte aligned byte (`head`), for plainStringEnd.
    const head = -buf.byteOffset & 3;
    const words = n - head >= 64 ? new Int32Array(buf.buffer, buf.byteOffset + head, (n - head) >> 2) : NO_WORDS;
    while (i < n) {
      if (state === S_STRING) {
        const at = plainStringEnd(buf, words, head, i);
        if (at === n) {
          i = n;
          break;
        }
        const c = buf[at] as number;
        i = at + 1;
        if (c === 0x5c) {
          state = S_ESCAPE;
          continue;
        }
        if (c !== 0x22) return this.fail(at);
        if (this.stringIsKey) {
          if (this.depth < 3) this.onKey(this.base + i);
          state = S_COLON;
        } else {
          state = this.depth === 0 ? S_DONE : S_AFTER_VALUE;
          if (this.depth < 3) this.onValueEnd(this.base + i);
        }
        continue;
      }
      const c = buf[i] as number;
      if (state >= S_ESCAPE && state <= S_NUMBER) {
        // Inside an escape, a literal cut by the chunk's end, or a number: byte by byte.
        switch (state) {
          case S_ESCAPE:
            if (c === 0x75) {
              state = S_UNICODE;
              this.pending = 4;
            } else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) {
              state = S_STRING;
            } else return this.fail(i);
            i++;
            continue;
          case S_UNICODE:
            if (!isHex(c)) return this.fail(i);
            if (--this.pending === 0) state = S_STRING;
            i++;
            continue;
          case S_LITERAL: {
            const lit = this.literal;
            if (c !== lit[lit.length - this.pending]) return this.fail(i);
            i++;
            if (--this.pending === 0) {
              state = this.depth === 0 ? S_DONE : S_AFTER_VALUE;
              if (this.depth < 3) this.onValueEnd(this.base + i);
            }
            continue;
          }
          default: {
            // S_NUMBER
            const next = numberStep(this.numberState, c);
            if (next >= 0) {
              this.numberState = next;
              i++;
              continue;
            }
            // The number ended at this byte, which is read again in the next state.
            this.endNumber(this.base + i);
            state = this.state;
            if (state === S_ERROR) return this.fail(i);
            continue;
          }
        }
      }

      // Structural states: whitespace is skipped first.
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++;
        continue;
      }
      switch (state) {
        case S_AFTER_VALUE: {
          const top = this.stack[this.depth - 1];
          if (c === 0x2c) state = top === OBJECT ? S_KEY : S_VALUE;
          else if (c === 0x7d && top === OBJECT) state = this.close(OBJECT, this.base + i);
          else if (c === 0x5d && top === ARRAY) state = this.close(ARRAY, this.base + i);
          else return this.fail(i);
          i++;
          continue;
        }
        case S_KEY_OR_CLOSE:
        case S_KEY:
          if (c === 0x22) {
            state = S_STRING;
            this.stringIsKey = true;
            this.keyStart = this.base + i + 1;
          } else if (c === 0x7d && state === S_KEY_OR_CLOSE) {
            state = this.close(OBJECT, this.base + i);
          } else return this.fail(i);
          i++;
          continue;
        case S_COLON:
          if (c !== 0x3a) return this.fail(i);
          state = S_VALUE;
          i++;
          continue;
        case S_VALUE:
        case S_VALUE_OR_CLOSE:
          if (c === 0x5d && state === S_VALUE_OR_CLOSE) {
            state = this.close(ARRAY, this.base + i);
            if (state === S_ERROR) return this.fail(i);
            i++;
            continue;
          }
          if (this.depth < 3) this.onValueStart(this.base + i, c);
          if (c === 0x22) {
            state = S_STRING;
            this.stringIsKey = false;
          } else if (c === 0x7b) {
            this.open(OBJECT);
            state = S_KEY_OR_CLOSE;
          } else if (c === 0x5b) {
            this.open(ARRAY);
            state = S_VALUE_OR_CLOSE;
          } else if (c === 0x2d) {
            state = S_NUMBER;
            this.numberState = N_MINUS;
          } else if (c >= 0x30 && c <= 0x39) {
            state = S_NUMBER;
            this.numberState = c === 0x30 ? N_ZERO : N_INT;
          } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            const lit = c === 0x74 ? TRUE : c === 0x66 ? FALSE : NULL;
            if (i + lit.length <= n) {
              // The whole literal is in this chunk: compared in place.
              for (let k = 1; k < lit.length; k++) if (buf[i + k] !== lit[k]) return this.fail(i + k);
              i += lit.length;
              state = this.depth === 0 ? S_DONE : S_AFTER_VALUE;
              if (this.depth < 3) this.onValueEnd(this.base + i);
              continue;
            }
            state = S_LITERAL;
            this.literal = lit;
            this.pending = lit.length - 1;
          } else return this.fail(i);
          i++;
          continue;
        default: // S_DONE: only whitespace may follow the top-level value
          return this.fail(i);
      }
    }
    this.state = state;
    return true;
  }

  private fail(i: number): false {
    this.state = S_ERROR;
    this.errorAt = this.base + i;
    return false;
  }

  private open(kind: number): void {
    if (this.depth === 0) this.topIsObject = kind === OBJECT;
    this.stack[this.depth++] = kind;
  }

  /** Closes the innermost container at byte `at`; returns the next state (S_ERROR on a mismatch). */
  private close(kind: number, at: number): number {
    if (this.depth === 0 || this.stack[this.depth - 1] !== kind) return S_ERROR;
    this.depth--;
    this.onValueEnd(at + 1);
    return this.depth === 0 ? S_DONE : S_AFTER_VALUE;
  }

  private endNumber(at: number): void {
    const s = this.numberState;
    if (s === N_MINUS || s === N_DOT || s === N_EXP || s === N_EXP_SIGN) {
      this.state = S_ERROR;
      this.errorAt = at;
      return;
    }
    this.state = this.depth === 0 ? S_DONE : S_AFTER_VALUE;
    this.onValueEnd(at);
  }

  // ------------------------------------------------------------------------------------------
  // Envelope bookkeeping: called at value starts and ends and at keys, never per string byte.

  private onValueStart(at: number, firstByte: number): void {
    const depth = this.depth;
    if (depth === 1) {
      if (this.topIsObject) this.valueStart = at;
      if (this.member1 === M_RESULT) {
        this.resultFirstByte = firstByte;
        this.resultHasElement = false;
      }
    } else if (depth === 2 && this.member1 === M_RESULT) {
      this.resultHasElement = true;
      if (this.member2 !== M_OTHER) this.nestedValueStart = at;
    }
  }

  /** A value ended just before `at`; this.depth is the depth of the container holding it. */
  private onValueEnd(at: number): void {
    const depth = this.depth;
    if (depth === 0) {
      // A value directly at top level: a bare scalar or the top-level container itself.
      return;
    }
    if (depth === 1) {
      if (!this.topIsObject) return;
      const range = { start: this.valueStart, end: at };
      switch (this.member1) {
        case M_JSONRPC:
          this.layout.jsonrpc = range;
          break;
        case M_ID:
          this.layout.id = range;
          break;
        case M_RESULT:
          this.layout.result = range;
          this.layout.resultIsEmptyArray = this.resultFirstByte === 0x5b && !this.resultHasElement;
          break;
        case M_ERROR:
          this.layout.error = range;
          break;
        default:
          break;
      }
      this.member1 = M_OTHER;
    } else if (depth === 2 && this.member1 === M_RESULT && this.member2 !== M_OTHER) {
      const range = { start: this.nestedValueStart, end: at };
      if (this.member2 === M_NUMBER) this.layout.resultNumber = range;
      else this.layout.resultHash = range;
      this.member2 = M_OTHER;
    }
  }

  /** A key ended just before `end` (after its closing quote). */
  private onKey(end: number): void {
    const depth = this.depth;
    if (depth === 1 && this.topIsObject) {
      this.member1 = this.memberOf(this.keyStart, end - 1, false);
      if (this.member1 === M_RESULT) {
        // A later duplicate "result" replaces an earlier one, facts included (as JSON.parse does).
        this.layout.resultNumber = undefined;
        this.layout.resultHash = undefined;
      }
    } else if (depth === 2 && this.member1 === M_RESULT && this.resultFirstByte === 0x7b) {
      this.member2 = this.memberOf(this.keyStart, end - 1, true);
    }
  }

  private memberOf(start: number, end: number, nested: boolean): number {
    if (end - start > MAX_INTERESTING_KEY_BYTES) return M_OTHER;
    // The usual key (plain, inside the chunk being scanned) is compared where it lies.
    const chunk = this.chunks[this.chunks.length - 1] as Buffer;
    const from = start - this.base;
    if (from >= 0 && isPlain(chunk, from, end - this.base)) return memberAt(chunk, from, end - this.base, nested);
    let key = joined(sliceChunks(this.chunks, start, end)).toString('latin1');
    if (key.includes('\\')) {
      try {
        key = JSON.parse(`"${key}"`) as string;
      } catch {
        return M_OTHER;
      }
    }
    if (nested) return key === 'number' ? M_NUMBER : key === 'hash' ? M_HASH : M_OTHER;
    return key === 'result' ? M_RESULT : key === 'error' ? M_ERROR : key === 'id' ? M_ID : key === 'jsonrpc' ? M_JSONRPC : M_OTHER;
  }
}

const KEYS = {
  result: Buffer.from('result'),
  error: Buffer.from('error'),
  id: Buffer.from('id'),
  jsonrpc: Buffer.from('jsonrpc'),
  number: Buffer.from('number'),
  hash: Buffer.from('hash'),
};

/** Bytes [start, end) of `buf` hold no backslash: a key there means what it spells. */
function isPlain(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 0x5c) return false;
  return true;
}

function spells(buf: Buffer, start: number, end: number, key: Buffer): boolean {
  return end - start === key.length && buf.compare(key, 0, key.length, start, end) === 0;
}

/** What the plain key at bytes [start, end) of `buf` names. */
function memberAt(buf: Buffer, start: number, end: number, nested: boolean): number {
  if (nested) return spells(buf, start, end, KEYS.number) ? M_NUMBER : spells(buf, start, end, KEYS.hash) ? M_HASH : M_OTHER;
  if (spells(buf, start, end, KEYS.result)) return M_RESULT;
  if (spells(buf, start, end, KEYS.error)) return M_ERROR;
  if (spells(buf, start, end, KEYS.id)) return M_ID;
  return spells(buf, start, end, KEYS.jsonrpc) ? M_JSONRPC : M_OTHER;
}

/**
 * The offset of the first byte at or after `from` that ends plain string content (see
 * STRING_STOP), or buf.length. The bytes between are crossed as 32-bit `words` (the chunk's
 * aligned 4-byte groups from offset `head`), each tested at once for a byte that is a quote, a
 * backslash or below 0x20 with the classic carry tricks: a byte of `x ^ 0x22222222` is zero for a
 * quote, `v - 0x01010101` borrows into the high bit of each zero byte, `x - 0x20202020` into that
 * of each byte below 0x20, and `& ~x` drops bytes of 0x80 and up. A borrow only ever starts at a
 * matching byte, so a word tests non-zero exactly when it holds one; which byte it is, is then
 * found one byte at a time.
 */
function plainStringEnd(buf: Buffer, words: Int32Array, head: number, from: number): number {
  const n = buf.length;
  let i = from;
  const aligned = Math.min(n, i < head ? head : i + ((head - i) & 3));
  for (; i < aligned; i++) if (STRING_STOP[buf[i] as number] === 1) return i;
  if (i === n) return n;
  let w = (i - head) >> 2;
  for (const count = words.length; w < count; w++) {
    const x = words[w] as number;
    const quote = x ^ 0x22222222;
    const backslash = x ^ 0x5c5c5c5c;
    const found = ((quote - 0x01010101) | (backslash - 0x01010101) | (x - 0x20202020)) & ~x & 0x80808080;
    if (found === 0) continue;
    // Little-endian: the lowest flagged byte comes first, and is a true match (a borrow only
    // flags bytes above one).
    if (LITTLE_ENDIAN) return head + (w << 2) + ((31 - Math.clz32(found & -found)) >> 3);
    break;
  }
  i = head + (w << 2);
  for (; i < n; i++) if (STRING_STOP[buf[i] as number] === 1) return i;
  return n;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** The number sub-state after byte `c`, or -1 when `c` does not continue the number. */
function numberStep(s: number, c: number): number {
  const digit = c >= 0x30 && c <= 0x39;
  switch (s) {
    case N_MINUS:
      return c === 0x30 ? N_ZERO : digit ? N_INT : -1;
    case N_ZERO:
    case N_INT:
      if (digit) return s === N_INT ? N_INT : -1;
      if (c === 0x2e) return N_DOT;
      return c === 0x65 || c === 0x45 ? N_EXP : -1;
    case N_DOT:
    case N_FRAC:
      if (digit) return N_FRAC;
      if (s === N_FRAC && (c === 0x65 || c === 0x45)) return N_EXP;
      return -1;
    case N_EXP:
      return digit ? N_EXP_DIGITS : c === 0x2b || c === 0x2d ? N_EXP_SIGN : -1;
    default: // N_EXP_SIGN, N_EXP_DIGITS
      return digit ? N_EXP_DIGITS : -1;
  }
}
