import type { IncomingMessage } from 'node:http';
import { rawHeader } from './raw-header.js';

export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a request body up to `limitBytes`; rejects with BodyTooLargeError as soon as it is exceeded. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(rawHeader(req, 'content-length'));
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume(); // drain so the socket can answer
      reject(new BodyTooLargeError(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Like readBody, but a body over `limitBytes` is drained and resolves to undefined. */
export async function readBodyUpTo(req: IncomingMessage, limitBytes: number): Promise<Buffer | undefined> {
  try {
    return await readBody(req, limitBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return undefined;
    throw err;
  }
}
