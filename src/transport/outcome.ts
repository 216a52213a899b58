import type { JsonRpcErrorObject } from '../jsonrpc/types.js';

/**
 * What one attempt on one channel produced, before classification. Transports never throw for
 * upstream problems: they describe them with one of these, so classification lives in one place
 * (src/resilience/classify.ts).
 */
export type AttemptOutcome =
  /** A well-formed JSON-RPC success for our request id. */
  | { type: 'result'; result: unknown }
  /** A well-formed JSON-RPC error object (any HTTP status). */
  | { type: 'rpc_error'; error: JsonRpcErrorObject; httpStatus: number; retryAfterMs?: number }
  /** Non-2xx HTTP status without a usable JSON-RPC error body. */
  | { type: 'http_error'; httpStatus: number; retryAfterMs?: number; bodySnippet: string }
  /** The body was not valid JSON, not JSON-RPC, or answered another id. */
  | { type: 'bad_response'; reason: 'invalid_json' | 'not_jsonrpc' | 'wrong_id' }
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
