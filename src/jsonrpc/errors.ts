import type { JsonRpcErrorObject, JsonRpcFailure, JsonRpcId } from './types.js';

/** Standard and Lasso-specific JSON-RPC error codes. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Generic server-side failure: every candidate provider failed. */
  ServerError: -32000,
  /** No provider could be tried (all breakers open / all lagging / none configured). */
  NoProviderAvailable: -32001,
  /** The request deadline expired before any provider answered. */
  Timeout: -32002,
  /** Every provider is rate limiting; `data.retryAfterMs` tells when to retry. */
  RateLimited: -32005,
} as const;

/** A typed error that already knows its JSON-RPC shape; thrown or returned inside Lasso. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toObject(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  toResponse(id: JsonRpcId): JsonRpcFailure {
    return { jsonrpc: '2.0', id, error: this.toObject() };
  }
}

export function errorResponse(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcFailure {
  return new RpcError(code, message, data).toResponse(id);
}
