import type { IncomingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { DeadlineWatcher } from './attempt-deadlines.js';
import type { AttemptWatch, WatchedAttempt } from './attempt-deadlines.js';
import { joined, sliceChunks } from '../jsonrpc/byte-segments.js';
import { ResponseScanner } from '../jsonrpc/response-scanner.js';
import type { ByteRange } from '../jsonrpc/response-scanner.js';
import { ResultBytes } from '../jsonrpc/result-bytes.js';
import { isErrorObject, resultOutcome } from './outcome.js';
import type { AttemptOutcome } from './outcome.js';
import { parseRetryAfter } from './retry-after.js';

export interface HttpUpstreamOptions {
  /** Upstream JSON-RPC endpoint; may carry credentials in path, query or userinfo. */
  url: string;
  /** Max keep-alive connections to this upstream. @default 64 */
  connections?: number;
  /** How long an idle keep-alive socket is kept. @default 30_000 */
  keepAliveTimeoutMs?: number;
  /**
   * Largest accepted answer, in bytes after decompression; a larger one ends the attempt as
   * `too_large`. @default DEFAULT_MAX_UPSTREAM_RESPONSE_BYTES (64 MiB)
   */
  maxResponseBytes?: number;
}

export const DEFAULT_MAX_UPSTREAM_RESPONSE_BYTES = 64 * 1_048_576;

export interface UpstreamCall {
  method: string;
  params?: unknown;
  /** Attempt timeout; the attempt resolves with `{ type: 'timeout' }` when it expires. */
  timeoutMs: number;
  /**
   * Shorter limit on the wait for the response to start (a learned, adaptive timeout). Judged
   * only while this upstream answers nothing at all (see DeadlineWatcher).
   */
  firstByteTimeoutMs?: number;
}

/** Connection errors that prove the request never reached the upstream. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * One upstream JSON-RPC HTTP endpoint behind an undici keep-alive pool. Sends one request at a
 * time under Lasso's own ids (so a response for another id is detected), and describes every
 * result as an AttemptOutcome instead of throwing.
 */
export class HttpUpstream {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly maxResponseBytes: number;
  private nextId = 1;
  /** When any request to this upstream last got response headers (performance.now()); set by its attempts. */
  lastAnswerAt = -Infinity;
  /** Timeouts of the attempts in flight; attempts leave it when they settle. */
  readonly deadlines = new DeadlineWatcher({ lastAnswerAt: () => this.lastAnswerAt });

  constructor(options: HttpUpstreamOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_UPSTREAM_RESPONSE_BYTES;
    // Large answers (logs, blocks, traces) shrink 3-10x: most hosted providers compress on request.
    this.headers = { 'content-type': 'application/json', accept: 'application/json', 'accept-encoding': 'gzip' };
    if (url.username || url.password) {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 64,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      pipelining: 1,
    });
  }

  send(call: UpstreamCall): Promise<AttemptOutcome> {
    const id = this.nextId++;
    const body = `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(call.method)},"params":${JSON.stringify(call.params ?? [])}}`;
    return new Promise((resolve) => {
      const attempt = new HttpAttempt(this, id, call, this.maxResponseBytes, resolve);
      this.pool.dispatch({ path: this.path, method: 'POST', headers: this.headers, body }, attempt);
    });
  }

  async close(): Promise<void> {
    this.deadlines.stop();
    await this.pool.destroy();
  }
}

class AttemptTimeoutError extends Error {
  constructor(readonly afterMs: number) {
    super(`upstream attempt timed out after ${afterMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/**
 * One request to the upstream, as an undici dispatch handler. The body is decoded (gzip, deflate)
 * as a stream and fed chunk by chunk to the response scanner, which validates it and finds the
 * envelope as it arrives: the chunks are kept as they are (never joined or turned into a string),
 * and the result is handed on as slices of them.
 */
class HttpAttempt implements Dispatcher.DispatchHandler, WatchedAttempt {
  readonly startedAt = performance.now();
  readonly timeoutMs: number;
  readonly firstByteTimeoutMs: number | undefined;
  answered = false;
  private readonly watch: AttemptWatch;
  private settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private statusCode = 0;
  private retryAfter: string | string[] | undefined;
  private readonly scanner = new ResponseScanner();
  private decoder: Transform | undefined;
  private wireBytes = 0;

  constructor(
    private readonly upstream: HttpUpstream,
    private readonly id: number,
    call: UpstreamCall,
    private readonly maxResponseBytes: number,
    private readonly resolve: (outcome: AttemptOutcome) => void,
  ) {
    this.timeoutMs = call.timeoutMs;
    const firstByteMs = call.firstByteTimeoutMs;
    this.firstByteTimeoutMs = firstByteMs !== undefined && firstByteMs < call.timeoutMs ? firstByteMs : undefined;
    this.watch = upstream.deadlines.watch(this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Timed out while queued for a connection: never send it.
    if (this.settled) controller.abort(new AttemptTimeoutError(this.timeoutMs));
    else this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx informational
    this.answered = true;
    this.upstream.lastAnswerAt = performance.now();
    this.statusCode = statusCode;
    this.retryAfter = headers['retry-after'];
    const encoding = headers['content-encoding']?.trim().toLowerCase();
    if (encoding === 'gzip' || encoding === 'x-gzip') this.decoder = createGunzip();
    else if (encoding === 'deflate') this.decoder = createInflate();
    else if (encoding !== undefined && encoding !== 'identity' && encoding !== '') return this.fail({ type: 'bad_response', reason: 'bad_encoding' });
    if (this.decoder === undefined) {
      // The whole answer is announced too large: no need to read it.
      const length = Number(headers['content-length']);
      if (length > this.maxResponseBytes) return this.fail({ type: 'too_large', limitBytes: this.maxResponseBytes });
      return;
    }
    this.decoder.on('data', (chunk: Buffer) => this.take(chunk));
    this.decoder.once('error', () => this.fail({ type: 'bad_response', reason: 'bad_encoding' }));
    this.decoder.once('end', () => this.finish());
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.wireBytes += chunk.length;
    if (this.decoder === undefined) this.take(chunk);
    else if (!this.settled) this.decoder.write(chunk);
  }

  onResponseEnd(): void {
    if (this.decoder === undefined) this.finish();
    else this.decoder.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.decoder?.destroy();
    const code = errorCode(err);
    this.settle({ type: 'network', code, neverSent: NEVER_SENT_CODES.has(code) });
  }

  expire(afterMs: number): void {
    if (this.settled) return;
    this.fail({ type: 'timeout', afterMs }, new AttemptTimeoutError(afterMs));
  }

  /** One decoded chunk of the body. */
  private take(chunk: Buffer): void {
    if (this.settled) return;
    if (this.scanner.length + chunk.length > this.maxResponseBytes) {
      this.fail({ type: 'too_large', limitBytes: this.maxResponseBytes });
      return;
    }
    this.scanner.push(chunk);
  }

  private finish(): void {
    if (this.settled) return;
    this.settle(interpretResponse(this.statusCode, parseRetryAfter(this.retryAfter), this.scanner, this.id, this.wireBytes));
  }

  /**
   * Ends the attempt before its body ended. Aborting destroys the connection, so the rest of this
   * answer can never be read as the answer to a later request on a reused socket.
   */
  private fail(outcome: AttemptOutcome, reason: Error = new AnswerRefusedError(outcome.type)): void {
    if (this.settled) return;
    this.settle(outcome);
    this.decoder?.destroy();
    this.controller?.abort(reason);
  }

  private settle(outcome: AttemptOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.upstream.deadlines.unwatch(this.watch);
    this.resolve(outcome);
  }
}

class AnswerRefusedError extends Error {
  constructor(why: string) {
    super(`upstream answer refused: ${why}`);
    this.name = 'AnswerRefusedError';
  }
}

function interpretResponse(statusCode: number, retryAfterMs: number | undefined, scanner: ResponseScanner, id: number, wireBytes: number): AttemptOutcome {
  const scan = scanner.finish();
  if (!scan.ok || scan.envelope === undefined) {
    if (statusCode >= 300) return httpError(statusCode, retryAfterMs, scanner.seenChunks);
    if (!scan.ok) return { type: 'bad_response', reason: scan.reason === 'truncated' ? 'truncated' : 'invalid_json' };
    return { type: 'bad_response', reason: 'not_jsonrpc' };
  }
  const chunks = scanner.seenChunks;
  const envelope = scan.envelope;
  const answeredId = envelope.id === undefined ? undefined : isIdText(chunks, envelope.id, id) ? id : parseRange(chunks, envelope.id);
  const error = envelope.error === undefined ? undefined : parseRange(chunks, envelope.error);
  if (isErrorObject(error)) {
    // Some providers answer errors with id null (e.g. rate limiters in front of the node).
    if (answeredId !== id && answeredId !== null) return { type: 'bad_response', reason: 'wrong_id' };
    return retryAfterMs === undefined
      ? { type: 'rpc_error', error, httpStatus: statusCode }
      : { type: 'rpc_error', error, httpStatus: statusCode, retryAfterMs };
  }
  if (statusCode >= 300) return httpError(statusCode, retryAfterMs, chunks);
  if (envelope.result === undefined) return { type: 'bad_response', reason: 'not_jsonrpc' };
  if (answeredId !== id) return { type: 'bad_response', reason: 'wrong_id' };
  return resultOutcome(ResultBytes.fromScannedBody(chunks, envelope), { wireBytes, bodyBytes: scan.length });
}

/** The id member is exactly our id's digits: the usual answer, told without parsing it. */
function isIdText(chunks: readonly Buffer[], range: ByteRange, id: number): boolean {
  const digits = String(id);
  if (range.end - range.start !== digits.length) return false;
  let offset = range.start;
  for (const chunk of chunks) {
    if (offset >= chunk.length) {
      offset -= chunk.length;
      continue;
    }
    if (chunk.length - offset < digits.length) return false; // split over chunks: rare, left to the parser
    for (let i = 0; i < digits.length; i++) if (chunk[offset + i] !== digits.charCodeAt(i)) return false;
    return true;
  }
  return false;
}

/** A small member of a validated body (id, error object), parsed. */
function parseRange(chunks: readonly Buffer[], range: ByteRange): unknown {
  return JSON.parse(joined(sliceChunks(chunks, range.start, range.end)).toString('utf8'));
}

function httpError(httpStatus: number, retryAfterMs: number | undefined, chunks: readonly Buffer[]): AttemptOutcome {
  const bodySnippet = joined(sliceChunks(chunks, 0, 800)).toString('utf8').slice(0, 200);
  return retryAfterMs === undefined
    ? { type: 'http_error', httpStatus, bodySnippet }
    : { type: 'http_error', httpStatus, retryAfterMs, bodySnippet };
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; cause?: { code?: unknown } };
    if (typeof e.code === 'string') {
      // undici wraps socket errors; the OS code is more telling.
      if (e.code === 'UND_ERR_SOCKET' && typeof e.cause?.code === 'string') return e.cause.code;
      return e.code;
    }
    if (typeof e.cause?.code === 'string') return e.cause.code;
  }
  return 'UNKNOWN';
}
