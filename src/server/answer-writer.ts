import type { ServerResponse } from 'node:http';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import { totalLength } from '../jsonrpc/byte-segments.js';

export type AnswerEncoding = 'gzip' | 'br';

export interface AnswerCompressionOptions {
  /** Compress answers for HTTP clients that accept gzip or br. @default true */
  enabled?: boolean;
  /**
   * Smallest answer compressed, in bytes: below it compressing costs more time than the smaller
   * transfer saves. @default DEFAULT_COMPRESSION_THRESHOLD_BYTES (16 KiB)
   */
  thresholdBytes?: number;
}

export const DEFAULT_COMPRESSION_THRESHOLD_BYTES = 16_384;

/**
 * The encoding to answer with, from the client's Accept-Encoding: gzip or br, whichever has the
 * higher q-value (gzip on a tie: at its fastest level it costs a fraction of br's CPU for JSON);
 * undefined for identity. `*` stands for every encoding not named; `q=0` refuses one.
 */
export function negotiateEncoding(acceptEncoding: string | undefined): AnswerEncoding | undefined {
  if (acceptEncoding === undefined || acceptEncoding === '') return undefined;
  let gzip: number | undefined;
  let br: number | undefined;
  let any: number | undefined;
  for (const part of acceptEncoding.split(',')) {
    const [token = '', ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const [name, value] = p.trim().split('=');
      if (name === 'q' && value !== undefined) q = Number(value) || 0;
    }
    if (token === 'gzip' || token === 'x-gzip') gzip = q;
    else if (token === 'br') br = q;
    else if (token === '*') any = q;
  }
  const gzipQ = gzip ?? any ?? 0;
  const brQ = br ?? any ?? 0;
  if (gzipQ <= 0 && brQ <= 0) return undefined;
  return gzipQ >= brQ ? 'gzip' : 'br';
}

/** Largest answer joined into one buffer before it is written. */
const JOIN_MAX_BYTES = 16 * 1024;

/**
 * Writes a JSON answer held as segments (see src/jsonrpc/byte-segments.ts) without joining them:
 * as they are with a content-length, or through a streaming compressor (zlib's thread pool, so the
 * event loop only hands chunks over). `headers` is a flat [name, value, ...] list for writeHead.
 * Returns the bytes put on the wire: at once when uncompressed, else once the compressor finished.
 */
export function writeAnswer(res: ServerResponse, status: number, headers: string[], segments: readonly Buffer[], encoding: AnswerEncoding | undefined): number | Promise<number> {
  if (encoding === undefined) {
    const length = totalLength(segments);
    headers.push('content-type', 'application/json', 'content-length', String(length));
    res.writeHead(status, headers);
    // A small answer is joined into one string: Node joins a string body to the header and writes
    // them as one chunk (a Buffer body is one more chunk to gather); copying a few kB costs less
    // than that. A large one is written as it is held, never joined.
    if (length <= JOIN_MAX_BYTES) res.end(joinedLatin1(segments, length), 'latin1');
    else {
      for (const s of segments) res.write(s);
      res.end();
    }
    return length;
  }
  headers.push('content-type', 'application/json', 'content-encoding', encoding, 'vary', 'accept-encoding');
  res.writeHead(status, headers);
  // Fastest settings: a proxy compresses every answer once, on the request's critical path.
  const compressor =
    encoding === 'gzip'
      ? createGzip({ level: 1 })
      : createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } });
  let written = 0;
  return new Promise((resolve) => {
    compressor.on('data', (chunk: Buffer) => {
      written += chunk.length;
    });
    // 'close' follows both the end and a destroy (client gone, compressor failed).
    compressor.once('close', () => resolve(written));
    compressor.once('error', () => res.destroy());
    res.once('close', () => {
      if (!res.writableFinished) compressor.destroy();
    });
    compressor.pipe(res);
    for (const s of segments) compressor.write(s);
    compressor.end();
  });
}

/**
 * The segments' bytes as a latin1 string: one char per byte, so written back as latin1 they are
 * the same bytes (UTF-8 included), without a UTF-8 decode and encode.
 */
function joinedLatin1(segments: readonly Buffer[], length: number): string {
  if (segments.length === 1) return (segments[0] as Buffer).toString('latin1');
  return Buffer.concat(segments, length).toString('latin1');
}
