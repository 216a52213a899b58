/**
 * Text of the messages the WebSocket front writes itself (subscription notifications, limit errors,
 * the final notice before a close), and the close codes it uses.
 */
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import type { JsonRpcFailure } from '../jsonrpc/types.js';

/**
 * JSON-RPC code for every per-connection limit (EIP-1474 "Limit exceeded"). `data.limit` names the
 * limit that was hit and `data.max` its configured value, so a client can tell them apart.
 */
export const LIMIT_EXCEEDED = -32005;

/** WebSocket close codes the front sends (RFC 6455 section 7.4.1). */
export const WsCloseCode = {
  /** Server shutting down. */
  GoingAway: 1001,
  /** A limit was violated in a way the connection cannot survive (slow client). */
  PolicyViolation: 1008,
  /** A message above the hard size cap (sent by `ws` itself). */
  MessageTooBig: 1009,
  /** The subscription engine ended a subscription with an error it could not recover from. */
  InternalError: 1011,
} as const;

/** Names of the configured limits, as they appear in `error.data.limit`. */
export type LimitKey = 'maxInFlightPerConnection' | 'maxSubscriptionsPerConnection' | 'maxMessageBytes' | 'maxBufferedBytes';

export function limitError(limit: LimitKey, max: number, message: string, extra: Record<string, unknown> = {}): RpcError {
  return new RpcError(LIMIT_EXCEEDED, message, { limit, max, ...extra });
}

/**
 * One-entry cache of the last serialized notification result. The engine hands the same object to
 * every client subscription of one upstream key, so a fan-out to 10,000 subscribers serializes the
 * block header once instead of 10,000 times.
 */
let lastResult: unknown = Symbol('none');
let lastJson = '';

/** `JSON.stringify(result)`, cached by identity for fan-out; `null` for undefined or unserializable. */
export function resultJson(result: unknown): string {
  if (result === lastResult) return lastJson;
  let json: string;
  try {
    json = JSON.stringify(result) ?? 'null';
  } catch {
    json = 'null';
  }
  lastResult = result;
  lastJson = json;
  return json;
}

/** `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":id,"result":...}}` from a pre-serialized result. */
export function notificationText(subscriptionId: string, resultJsonText: string): string {
  return '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":' + JSON.stringify(subscriptionId) + ',"result":' + resultJsonText + '}}';
}

/**
 * The notice sent just before the front closes a connection on its own initiative: a JSON-RPC error
 * response with `id: null` (the JSON-RPC 2.0 way to report an error not tied to one request).
 * viem ignores it and reacts to the close that follows; ethers surfaces it as a provider `error`
 * event. The same message is the close frame's reason, so every client sees it somewhere.
 */
export function noticeText(error: RpcError): string {
  const body: JsonRpcFailure = error.toResponse(null);
  return JSON.stringify(body);
}

/** Close reasons are limited to 123 bytes by RFC 6455; cut on a character boundary. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 120);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return cut + '...';
}

export function internalError(message: string): RpcError {
  return new RpcError(RpcErrorCode.InternalError, message);
}
