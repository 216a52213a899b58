import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { DeadlineWatcher } from './attempt-deadlines.js';
import type { WatchedAttempt } from './attempt-deadlines.js';
import { isErrorObject } from './outcome.js';
import type { AttemptOutcome } from './outcome.js';
import { parseRetryAfter } from './retry-after.js';

export interface HttpUpstreamOptions {
  /** Upstream JSON-RPC endpoint; may carry credentials in path, query or userinfo. */
  url: string;
  /** Max keep-alive connections to this upstream. @default 64 */
  connections?: number;
  /** How long an idle keep-alive socket is kept. @default 30_000 */
  keepAliveTimeoutMs?: number;
}

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
  private nextId = 1;
  /** When any request to this upstream last got response headers (performance.now()); set by its attempts. */
  lastAnswerAt = -Infinity;
  /** Timeouts of the attempts in flight; attempts leave it when they settle. */
  readonly deadlines = new DeadlineWatcher({ lastAnswerAt: () => this.lastAnswerAt });

  constructor(options: HttpUpstreamOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
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
      const attempt = new HttpAttempt(this, id, call, resolve);
      this.deadlines.watch(attempt);
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
 * One request to the upstream, as an undici dispatch handler: the response body is collected as
 * Buffers and read once at the end, without the stream undici's request() API builds around it.
 */
class HttpAttempt implements Dispatcher.DispatchHandler, WatchedAttempt {
  readonly startedAt = performance.now();
  readonly timeoutMs: number;
  readonly firstByteTimeoutMs: number | undefined;
  answered = false;
  private settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private statusCode = 0;
  private retryAfter: string | string[] | undefined;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly upstream: HttpUpstream,
    private readonly id: number,
    call: UpstreamCall,
    private readonly resolve: (outcome: AttemptOutcome) => void,
  ) {
    this.timeoutMs = call.timeoutMs;
    const firstByteMs = call.firstByteTimeoutMs;
    this.firstByteTimeoutMs = firstByteMs !== undefined && firstByteMs < call.timeoutMs ? firstByteMs : undefined;
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
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const text = (this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks)).toString('utf8');
    this.settle(interpretResponse(this.statusCode, parseRetryAfter(this.retryAfter), text, this.id));
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    const code = errorCode(err);
    this.settle({ type: 'network', code, neverSent: NEVER_SENT_CODES.has(code) });
  }

  expire(afterMs: number): void {
    if (this.settled) return;
    this.settle({ type: 'timeout', afterMs });
    // Aborting destroys the connection, so a late answer can never be read as the answer to a
    // later request on a reused socket.
    this.controller?.abort(new AttemptTimeoutError(afterMs));
  }

  private settle(outcome: AttemptOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.upstream.deadlines.unwatch(this);
    this.resolve(outcome);
  }
}

function interpretResponse(statusCode: number, retryAfterMs: number | undefined, text: string, id: number): AttemptOutcome {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    if (statusCode >= 300) return httpError(statusCode, retryAfterMs, text);
    return { type: 'bad_response', reason: 'invalid_json' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    if (statusCode >= 300) return httpError(statusCode, retryAfterMs, text);
    return { type: 'bad_response', reason: 'not_jsonrpc' };
  }
  const message = payload as Record<string, unknown>;
  const error = message.error;
  if (isErrorObject(error)) {
    // Some providers answer errors with id null (e.g. rate limiters in front of the node).
    if (message.id !== id && message.id !== null) return { type: 'bad_response', reason: 'wrong_id' };
    return retryAfterMs === undefined
      ? { type: 'rpc_error', error, httpStatus: statusCode }
      : { type: 'rpc_error', error, httpStatus: statusCode, retryAfterMs };
  }
  if (statusCode >= 300) return httpError(statusCode, retryAfterMs, text);
  if (!('result' in message)) return { type: 'bad_response', reason: 'not_jsonrpc' };
  if (message.id !== id) return { type: 'bad_response', reason: 'wrong_id' };
  return { type: 'result', result: message.result };
}

function httpError(httpStatus: number, retryAfterMs: number | undefined, text: string): AttemptOutcome {
  const bodySnippet = text.slice(0, 200);
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
