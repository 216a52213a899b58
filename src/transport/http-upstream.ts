import { EventEmitter } from 'node:events';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
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
   * Shorter limit on the wait for the response to start (a learned, adaptive timeout). Ignored
   * once response headers arrived, and when its timer fires late (Lasso itself was stalled).
   */
  firstByteTimeoutMs?: number;
}

/** Connection errors that prove the request never reached the upstream. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A first-byte timer that fires this much late is not trusted (re-armed instead). */
const FIRST_BYTE_LATENESS_TOLERANCE_MS = 20;

/**
 * setTimeout that, on expiry, waits one more event-loop turn before acting: timers run before
 * I/O polling, so after a stalled loop (GC, CPU contention) an answer already in the socket gets
 * read first. Tells the callback how late it fired.
 */
class ExpiryTimer {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private dueAt = 0;

  constructor(
    private readonly ms: number,
    private readonly onExpire: (lateByMs: number) => void,
  ) {
    this.rearm();
  }

  rearm(): void {
    this.dueAt = performance.now() + this.ms;
    this.timer = setTimeout(() => {
      const lateByMs = performance.now() - this.dueAt;
      this.immediate = setImmediate(() => this.onExpire(lateByMs));
    }, this.ms);
  }

  clear(): void {
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
  }
}

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
  /** When any request to this upstream last got response headers (performance.now()). */
  private lastAnswerAt = -Infinity;

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

  async send(call: UpstreamCall): Promise<AttemptOutcome> {
    const id = this.nextId++;
    const body = `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(call.method)},"params":${JSON.stringify(call.params ?? [])}}`;
    // undici accepts an EventEmitter as abort signal: far cheaper on the hot path than an
    // AbortController per attempt. Aborting destroys the connection, so a late answer can never be
    // read as the answer to a later request on a reused socket.
    const abort = new EventEmitter();
    let timedOutAfterMs: number | undefined;
    let headersReceived = false;
    const expire = (afterMs: number): void => {
      timedOutAfterMs = afterMs;
      abort.emit('abort');
    };
    const deadline = new ExpiryTimer(call.timeoutMs, () => expire(call.timeoutMs));
    // The first-byte timer judges only a provider that looks hung: this request has no answer yet
    // AND no other request to this upstream got one within the same span. A timer that fired late
    // measured Lasso's own stalled event loop, and answers still flowing on other requests mean the
    // wait is queueing (ours or the provider's), not a hang: then wait on, up to the hard timeout.
    const firstByteMs = call.firstByteTimeoutMs;
    const firstByte =
      firstByteMs !== undefined && firstByteMs < call.timeoutMs
        ? new ExpiryTimer(firstByteMs, (lateByMs) => {
            if (headersReceived) return;
            const answeredRecently = performance.now() - this.lastAnswerAt < firstByteMs;
            if (lateByMs > FIRST_BYTE_LATENESS_TOLERANCE_MS || answeredRecently) firstByte?.rearm();
            else expire(firstByteMs);
          })
        : undefined;
    try {
      const res = await this.pool.request({ path: this.path, method: 'POST', headers: this.headers, body, signal: abort });
      headersReceived = true;
      this.lastAnswerAt = performance.now();
      const text = await res.body.text();
      return interpretResponse(res, text, id);
    } catch (err) {
      if (timedOutAfterMs !== undefined) return { type: 'timeout', afterMs: timedOutAfterMs };
      const code = errorCode(err);
      return { type: 'network', code, neverSent: NEVER_SENT_CODES.has(code) };
    } finally {
      deadline.clear();
      firstByte?.clear();
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

function interpretResponse(res: Dispatcher.ResponseData, text: string, id: number): AttemptOutcome {
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    if (res.statusCode >= 300) return httpError(res.statusCode, retryAfterMs, text);
    return { type: 'bad_response', reason: 'invalid_json' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    if (res.statusCode >= 300) return httpError(res.statusCode, retryAfterMs, text);
    return { type: 'bad_response', reason: 'not_jsonrpc' };
  }
  const message = payload as Record<string, unknown>;
  const error = message.error;
  if (isErrorObject(error)) {
    // Some providers answer errors with id null (e.g. rate limiters in front of the node).
    if (message.id !== id && message.id !== null) return { type: 'bad_response', reason: 'wrong_id' };
    return retryAfterMs === undefined
      ? { type: 'rpc_error', error, httpStatus: res.statusCode }
      : { type: 'rpc_error', error, httpStatus: res.statusCode, retryAfterMs };
  }
  if (res.statusCode >= 300) return httpError(res.statusCode, retryAfterMs, text);
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
