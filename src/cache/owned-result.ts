import { totalLength } from '../jsonrpc/byte-segments.js';
import { ResponseScanner } from '../jsonrpc/response-scanner.js';
import { ResultBytes } from '../jsonrpc/result-bytes.js';

const OPEN = Buffer.from('{"result":');
const CLOSE = Buffer.from('}');

/**
 * A result held in one buffer of its own: an upstream answer's segments are views into the chunks
 * it arrived in, which can be much larger than the result (and would be kept alive by the cache).
 */
export function ownedResult(result: ResultBytes): ResultBytes {
  return resultFromJson(result.segments, result.byteLength) as ResultBytes;
}

/** A result from its JSON text (as stored in Redis); undefined when the text is not valid JSON. */
export function resultFromJson(json: readonly Buffer[], byteLength = totalLength(json)): ResultBytes | undefined {
  // Copied once into an envelope and scanned as one, so the result's facts (null, empty, block
  // number and hash) are read as for an upstream answer.
  // Not from Node's shared pool: a small buffer there keeps its whole 8 kB slab alive.
  const body = Buffer.allocUnsafeSlow(OPEN.length + byteLength + CLOSE.length);
  let at = OPEN.copy(body, 0);
  for (const segment of json) at += segment.copy(body, at);
  CLOSE.copy(body, at);
  const scanner = new ResponseScanner();
  scanner.push(body);
  const scanned = scanner.finish();
  if (!scanned.ok || scanned.envelope?.result === undefined) return undefined;
  return ResultBytes.fromScannedBody([body], scanned.envelope);
}
