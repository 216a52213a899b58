import { sliceChunks, totalLength } from '../jsonrpc/byte-segments.js';
import { ResultBytes } from '../jsonrpc/result-bytes.js';

const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');
const COMMA = Buffer.from(',');
const EMPTY = Buffer.from('[]');

/**
 * The logs of consecutive sub-ranges as one answer, by splicing their bytes: each sub-range's
 * array without its brackets, in range order. The sub-ranges are disjoint and in ascending order,
 * and each answer is ordered by block number then log index, so the concatenation is the ordered,
 * duplicate-free answer for the whole range, and no log is parsed or re-serialised.
 */
export function mergeLogs(pieces: readonly ResultBytes[]): ResultBytes {
  if (pieces.length === 1) return pieces[0] as ResultBytes;
  const segments: Buffer[] = [OPEN];
  let items = 0;
  for (const piece of pieces) {
    if (piece.isEmptyArray) continue;
    const interior = arrayInterior(piece);
    if (interior === undefined || interior.length === 0) continue;
    if (items++ > 0) segments.push(COMMA);
    segments.push(...interior);
  }
  if (items === 0) return emptyLogs();
  segments.push(CLOSE);
  const length = totalLength(segments);
  return ResultBytes.fromScannedBody(segments, {
    jsonrpc: undefined,
    id: undefined,
    result: { start: 0, end: length },
    error: undefined,
    resultIsEmptyArray: false,
    resultNumber: undefined,
    resultHash: undefined,
  });
}

/** Does this result hold a JSON array (what an eth_getLogs answer must be)? */
export function isJsonArray(result: ResultBytes): boolean {
  return firstByte(result.segments) === 0x5b;
}

function emptyLogs(): ResultBytes {
  return ResultBytes.fromScannedBody([EMPTY], {
    jsonrpc: undefined,
    id: undefined,
    result: { start: 0, end: EMPTY.length },
    error: undefined,
    resultIsEmptyArray: true,
    resultNumber: undefined,
    resultHash: undefined,
  });
}

/** The bytes between an array's brackets, as zero-copy slices; undefined when it is not an array. */
function arrayInterior(result: ResultBytes): Buffer[] | undefined {
  const { segments } = result;
  const length = totalLength(segments);
  const open = indexFromStart(segments);
  const close = indexFromEnd(segments, length);
  if (open === undefined || close === undefined || byteAt(segments, open) !== 0x5b || byteAt(segments, close) !== 0x5d || close <= open) return undefined;
  const interior = sliceChunks(segments, open + 1, close);
  return interior.some((s) => s.some((b) => !isWhitespace(b))) ? interior : [];
}

function firstByte(segments: readonly Buffer[]): number | undefined {
  const at = indexFromStart(segments);
  return at === undefined ? undefined : byteAt(segments, at);
}

/** Offset of the first non-whitespace byte. */
function indexFromStart(segments: readonly Buffer[]): number | undefined {
  let offset = 0;
  for (const s of segments) {
    for (let i = 0; i < s.length; i++) if (!isWhitespace(s[i] as number)) return offset + i;
    offset += s.length;
  }
  return undefined;
}

/** Offset of the last non-whitespace byte. */
function indexFromEnd(segments: readonly Buffer[], length: number): number | undefined {
  let end = length;
  for (let k = segments.length - 1; k >= 0; k--) {
    const s = segments[k] as Buffer;
    end -= s.length;
    for (let i = s.length - 1; i >= 0; i--) if (!isWhitespace(s[i] as number)) return end + i;
  }
  return undefined;
}

function byteAt(segments: readonly Buffer[], at: number): number | undefined {
  let offset = 0;
  for (const s of segments) {
    if (at < offset + s.length) return s[at - offset];
    offset += s.length;
  }
  return undefined;
}

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
