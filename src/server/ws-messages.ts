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
 * The header of an unmasked, final text frame carrying `length` bytes (RFC 6455 section 5.2). Built
 * here rather than by ws's Sender because a fan-out needs the header alone, once for all clients.
 */
function frameHeaderFor(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65_536) {
    const header = Buffer.allocUnsafe(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = 0x81;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/** One text message as framed parts, ready for FrameWriter.queue. */
export function textFrame(text: string): Buffer[] {
  return messageFrame([Buffer.from(text)]);
}

/** One text message held as segments (a spliced answer), framed without joining them. */
export function messageFrame(segments: readonly Buffer[]): Buffer[] {
  let length = 0;
  for (const s of segments) length += s.length;
  return [frameHeaderFor(length), ...segments];
}

/**
 * The first bytes of every notification of one client subscription:
 * `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"<id>"`. Built once per subscription.
 */
export function notificationPrefix(subscriptionId: string): Buffer {
  return Buffer.from('{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":' + JSON.stringify(subscriptionId));
}

/** `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":id,"result":...}}` from a pre-serialized result. */
export function notificationText(subscriptionId: string, resultJsonText: string): string {
  return '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":' + JSON.stringify(subscriptionId) + ',"result":' + resultJsonText + '}}';
}

/**
 * One-entry cache of the last notification's shared bytes. The engine hands the same result object
 * to every client subscription of one upstream key in turn, so a fan-out to 10,000 subscribers
 * serializes and encodes the result once, and frames it once per prefix length (subscription ids
 * all have one length): each client adds only its prefix.
 */
let lastResult: unknown = Symbol('none');
let lastJson = '';
let lastTail: Buffer = Buffer.alloc(0);
let lastPrefixLength = -1;
let lastHeader: Buffer = Buffer.alloc(0);

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
  lastTail = Buffer.from(',"result":' + json + '}}');
  lastPrefixLength = -1;
  return json;
}

/** A notification of `result` to the subscription whose prefix is `prefix`, as framed parts. */
export function notificationFrame(prefix: Buffer, result: unknown): Buffer[] {
  resultJson(result);
  if (prefix.length !== lastPrefixLength) {
    lastPrefixLength = prefix.length;
    lastHeader = frameHeaderFor(prefix.length + lastTail.length);
  }
  return [lastHeader, prefix, lastTail];
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
