import { joined, sliceChunks } from './byte-segments.js';
import type { ByteRange, EnvelopeLayout } from './response-scanner.js';

/**
 * A JSON-RPC result held as the upstream's own bytes (already validated as JSON), with the facts a
 * decision needs read off without parsing it: Lasso answers clients by splicing these bytes, and
 * the cache can store them as they are. The parsed value is built only on demand (`value()`), for
 * the few callers that must look inside (head polls, subscription backfill), and then kept.
 *
 * The bytes are segments (the body's chunks as they arrived, sliced without copying) so that a
 * large answer is held once, from the upstream's socket to the client's.
 */
export class ResultBytes {
  private parsed: { value: unknown } | undefined;

  private constructor(
    /** The result's JSON text as segments, in order. */
    readonly segments: readonly Buffer[],
    readonly byteLength: number,
    /** The result is JSON `null`. */
    readonly isNull: boolean,
    /** The result is an array with no element. */
    readonly isEmptyArray: boolean,
    private readonly numberText: Buffer | undefined,
    private readonly hashText: Buffer | undefined,
  ) {}

  /** The result of a body the response scanner accepted (`layout.result` must be set). */
  static fromScannedBody(chunks: readonly Buffer[], layout: EnvelopeLayout): ResultBytes {
    const range = layout.result as ByteRange;
    const segments = sliceChunks(chunks, range.start, range.end);
    const first = segments[0]?.[0];
    return new ResultBytes(
      segments,
      range.end - range.start,
      first === 0x6e, // 'n': the only JSON value starting with n is null
      layout.resultIsEmptyArray,
      layout.resultNumber && joined(sliceChunks(chunks, layout.resultNumber.start, layout.resultNumber.end)),
      layout.resultHash && joined(sliceChunks(chunks, layout.resultHash.start, layout.resultHash.end)),
    );
  }

  /** A result that arrived already parsed (from a WebSocket upstream): serialised once. */
  static fromValue(value: unknown): ResultBytes {
    const bytes = Buffer.from(JSON.stringify(value) ?? 'null');
    const block = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    const result = new ResultBytes(
      [bytes],
      bytes.length,
      value === null || value === undefined,
      Array.isArray(value) && value.length === 0,
      block && 'number' in block ? Buffer.from(JSON.stringify(block.number) ?? 'null') : undefined,
      block && 'hash' in block ? Buffer.from(JSON.stringify(block.hash) ?? 'null') : undefined,
    );
    result.parsed = { value: value ?? null };
    return result;
  }

  /** The parsed result; parses on first use (costly for a large result: only for small ones). */
  value(): unknown {
    this.parsed ??= { value: JSON.parse(joined(this.segments).toString('utf8')) as unknown };
    return this.parsed.value;
  }

  /** The top-level `number` member of an object result, when it is a string (a block's number). */
  blockNumber(): string | undefined {
    return jsonString(this.numberText);
  }

  /** The top-level `hash` member of an object result, when it is a string. */
  blockHash(): string | undefined {
    return jsonString(this.hashText);
  }
}

function jsonString(text: Buffer | undefined): string | undefined {
  if (text === undefined || text[0] !== 0x22) return undefined;
  const value = JSON.parse(text.toString('utf8')) as unknown;
  return typeof value === 'string' ? value : undefined;
}
