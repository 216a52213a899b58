import type { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { JsonRpcErrorObject } from '../jsonrpc/types.js';

/**
 * What one attempt on one channel produced, before classification. Transports never throw for
 * upstream problems: they describe them with one of these, so classification lives in one place
 * (src/resilience/classify.ts).
 */
export type AttemptOutcome =
  /**
   * A well-formed JSON-RPC success for our request id: the result's validated bytes, and `result`,
   * the parsed value, built on first read (see resultOutcome).
   */
  | ResultOutcome
  /** A well-formed JSON-RPC error object (any HTTP status). */
  | { type: 'rpc_error'; error: JsonRpcErrorObject; httpStatus: number; retryAfterMs?: number }
  /** Non-2xx HTTP status without a usable JSON-RPC error body. */
  | { type: 'http_error'; httpStatus: number; retryAfterMs?: number; bodySnippet: string }
  /** The body was not valid JSON (or ended inside a value), not JSON-RPC, or answered another id. */
  | { type: 'bad_response'; reason: 'invalid_json' | 'truncated' | 'bad_encoding' | 'not_jsonrpc' | 'wrong_id' }
  /**
   * The answer grew past the configured cap on one upstream answer (`limitBytes`). The request
   * asked for too much, whoever serves it: not the provider's failure.
   */
  | { type: 'too_large'; limitBytes: number }
  /** No answer within the attempt timeout. */
  | { type: 'timeout'; afterMs: number }
  /**
   * Socket-level failure. `neverSent` is true only when the request provably never left
   * (connection refused / DNS failure before connect): the one case where a non-replay-safe
   * method may be retried.
   */
  | { type: 'network'; code: string; neverSent: boolean }
  /** The attempt was cancelled by Lasso (request deadline hit, or a hedge won). */
  | { type: 'cancelled' };

/** A JSON-RPC error object as upstreams send it (code and message present and typed). */
export function isErrorObject(value: unknown): value is { code: number; message: string; data?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** OS and undici codes of a connection that never got established or was cut, in words. */
const NETWORK_CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CLOSED: 'connection closed',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_HEADERS_OVERFLOW: 'response headers too large',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'response too large',
};

/** Node's TLS and certificate failures carry many codes; they all mean "the TLS handshake failed". */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT|UNABLE_TO_(GET|VERIFY)_|HOSTNAME_MISMATCH$)/;

const BAD_RESPONSE_CAUSES: Readonly<Record<Extract<AttemptOutcome, { type: 'bad_response' }>['reason'], string>> = {
  invalid_json: 'answer was not valid JSON',
  not_jsonrpc: 'answer was not JSON-RPC',
  wrong_id: 'answer carried another request id',
  truncated: 'answer ended before its JSON did',
  bad_encoding: 'answer could not be decompressed',
};

/**
 * A failed attempt's cause in words for clients and logs ("connection refused", "timed out after
 * 5 s", "HTTP 502"). Built only from codes and numbers, never from upstream text, so it cannot
 * carry a provider URL or key.
 */
export function describeOutcome(outcome: AttemptOutcome): string {
  switch (outcome.type) {
    case 'result':
      return 'answered';
    case 'rpc_error':
      return outcome.httpStatus >= 200 && outcome.httpStatus < 300
        ? `JSON-RPC error ${outcome.error.code}`
        : `JSON-RPC error ${outcome.error.code} with HTTP ${outcome.httpStatus}`;
    case 'http_error':
      return `HTTP ${outcome.httpStatus}`;
    case 'bad_response':
      return BAD_RESPONSE_CAUSES[outcome.reason];
    case 'too_large':
      return `answer larger than the limit of ${outcome.limitBytes} bytes`;
    case 'timeout':
      return `timed out after ${formatDuration(outcome.afterMs)}`;
    case 'network':
      return NETWORK_CAUSES[outcome.code] ?? (TLS_CODE.test(outcome.code) ? `TLS error (${outcome.code})` : `network error (${outcome.code})`);
    case 'cancelled':
      return 'cancelled';
  }
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 100) / 10;
  return `${seconds} s`;
}

export interface ResultOutcome {
  readonly type: 'result';
  readonly bytes: ResultBytes;
  /** The parsed result: parsed on first read, so only readers that need the value pay for it. */
  readonly result: unknown;
  /** Size of the whole answer as it came over the wire (maybe compressed) and decoded; HTTP only. */
  readonly received?: AnswerSize;
}

export interface AnswerSize {
  wireBytes: number;
  bodyBytes: number;
}

/**
 * A class rather than an object literal with a getter: one is made per upstream answer, and a
 * literal's accessor is defined anew on every object (slow to build, and never a fast shape).
 */
class ResultOutcomeImpl implements ResultOutcome {
  readonly type = 'result';
  constructor(
    readonly bytes: ResultBytes,
    readonly received: AnswerSize | undefined,
  ) {}

  get result(): unknown {
    return this.bytes.value();
  }
}

export function resultOutcome(bytes: ResultBytes, received?: AnswerSize): ResultOutcome {
  return new ResultOutcomeImpl(bytes, received);
}
