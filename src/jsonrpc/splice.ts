import { totalLength } from './byte-segments.js';
import type { JsonRpcId } from './types.js';

/**
 * Client answers built around result bytes, without re-serialising the result:
 * `{"jsonrpc":"2.0","id":<the client's id as it wrote it>,"result":` + result bytes + `}`.
 * Answers are segment lists (see byte-segments.ts) so that a large result is never copied to be
 * framed; a socket writes the segments in order. A small one is framed in one Buffer (sockets
 * join small answers before writing anyway).
 */

const RESULT_TAIL = Buffer.from('}');
const BATCH_OPEN = Buffer.from('[');
const BATCH_SEPARATOR = Buffer.from(',');
const BATCH_CLOSE = Buffer.from(']');

/**
 * The id as the client wrote it: `rawId` (from parsePayload, for numbers a double cannot
 * reproduce) when there is one, else the canonical JSON of the id.
 */
export function idText(id: JsonRpcId | undefined, rawId: string | undefined): string {
  if (rawId !== undefined) return rawId;
  // A finite number's JSON is its String() form, which costs less to make.
  return typeof id === 'number' ? String(id) : JSON.stringify(id ?? null);
}

/** Largest result framed into one new Buffer; a larger one is never copied. */
const COPY_MAX_BYTES = 4096;

/** A success answer for the client's id around the result's segments. */
export function splicedSuccess(clientIdText: string, result: readonly Buffer[]): Buffer[] {
  const head = `{"jsonrpc":"2.0","id":${clientIdText},"result":`;
  const resultBytes = totalLength(result);
  if (resultBytes > COPY_MAX_BYTES) return [Buffer.from(head, 'utf8'), ...result, RESULT_TAIL];
  const headBytes = Buffer.byteLength(head, 'utf8');
  const answer = Buffer.allocUnsafe(headBytes + resultBytes + 1);
  let at = answer.write(head, 0, 'utf8');
  for (const segment of result) at += segment.copy(answer, at);
  answer[at] = 0x7d; // }
  return [answer];
}

/** A batch answer: the answers in order, each one's segments kept as they are. */
export function splicedBatch(answers: ReadonlyArray<readonly Buffer[]>): Buffer[] {
  const out: Buffer[] = [BATCH_OPEN];
  answers.forEach((answer, i) => {
    if (i > 0) out.push(BATCH_SEPARATOR);
    for (const segment of answer) out.push(segment);
  });
  out.push(BATCH_CLOSE);
  return out;
}
