/**
 * Turns a client request body (HTTP body or WebSocket message) into validated JSON-RPC 2.0 requests.
 *
 * Contract: never throws. Every malformed input is described by a ready-to-send JSON-RPC failure.
 *
 * Decisions worth knowing (JSON-RPC 2.0 is the reference, https://www.jsonrpc.org/specification):
 * - `params` that is present but neither an array nor an object is an Invalid Request (-32600), not
 *   Invalid params (-32602): the spec defines params as a "Structured value", so anything else makes
 *   the Request object itself invalid.
 * - An invalid element always gets a response (with `id: null` when no usable id was found), even
 *   when it has no id: the spec's own examples answer `{"foo": "boo"}` with an error.
 * - `rpc.`-prefixed method names are structurally valid; they are refused by the method policy
 *   (src/jsonrpc/method-policy.ts) so that one place decides what is forwarded, and notifications
 *   stay silent as the spec requires.
 * - Unknown members of a request object are ignored and not copied into the parsed request.
 * - Numeric ids: `JSON.parse` turns a number into an IEEE double, which loses integers above 2^53
 *   and turns 1e400 into Infinity. Non-zero safe integers (nearly every id a real client sends) are
 *   echoed in canonical decimal form, which is byte-exact unless the client wrote an integer as
 *   `1.0` or `1e2` (then the same value is echoed as `1` / `100`). For every other number (beyond
 *   2^53, fractions, exponents, and zero, which is what 1e-400 and -0.0 become) the exact source
 *   text is recovered with a small scanner (only on that rare path) and returned as `rawId`;
 *   `serializeResponse(response, rawId)` echoes it byte for byte. `request.id` holds the nearest double.
 * - Params nested deeper than `maxDepth` are refused (-32600): V8's JSON.parse handles any depth,
 *   but JSON.stringify overflows the stack near 4k levels, which would break the upstream send.
 */
import { RpcErrorCode, errorResponse } from './errors.js';
import type { JsonRpcFailure, JsonRpcId, JsonRpcRequest, JsonRpcResponse } from './types.js';

export type ParsedItem =
  | {
      kind: 'request';
      request: JsonRpcRequest;
      /** Exact source text of a numeric id that a JS number cannot reproduce (see module doc). */
      rawId?: string;
    }
  | {
      kind: 'invalid';
      /** Ready to send; `id` is the request's id when it was usable, else null. */
      response: JsonRpcFailure;
      /** Exact source text of a numeric id that a JS number cannot reproduce (see module doc). */
      rawId?: string;
    };

export type ParsedPayload =
  | { kind: 'single'; item: ParsedItem }
  | { kind: 'batch'; items: ParsedItem[] }
  /** The whole payload is unusable: parse error (-32700), empty batch or batch too large (-32600). */
  | { kind: 'error'; response: JsonRpcFailure };

export interface ParseOptions {
  /** Largest accepted batch (number of elements); a larger batch is refused as a whole with -32600. */
  maxBatchSize: number;
  /**
   * Deepest accepted nesting of `params` (an array/object directly in params is depth 1).
   * @default 128
   */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 128;

export function parsePayload(body: string | Buffer, opts: ParseOptions): ParsedPayload {
  let text: string;
  let value: unknown;
  try {
    text = typeof body === 'string' ? body : body.toString('utf8');
    // A UTF-8 BOM is not JSON whitespace, but some clients send one; it carries no meaning.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    value = JSON.parse(text);
  } catch {
    return { kind: 'error', response: errorResponse(null, RpcErrorCode.ParseError, 'Parse error: request body is not valid JSON') };
  }

  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const ctx: ItemContext = {
    text,
    maxDepth,
    // Depth d needs at least 2d bracket characters, so short bodies (nearly all) skip the walk.
    checkDepth: text.length > 2 * maxDepth,
    rawIds: undefined,
  };

  if (Array.isArray(value)) {
    if (value.length === 0) {
      return { kind: 'error', response: errorResponse(null, RpcErrorCode.InvalidRequest, 'Invalid Request: empty batch') };
    }
    if (value.length > opts.maxBatchSize) {
      return {
        kind: 'error',
        response: errorResponse(
          null,
          RpcErrorCode.InvalidRequest,
          `Invalid Request: batch of ${value.length} requests exceeds the limit of ${opts.maxBatchSize}`,
        ),
      };
    }
    const items: ParsedItem[] = new Array<ParsedItem>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = validateItem(value[i], ctx, i);
    return { kind: 'batch', items };
  }
  return { kind: 'single', item: validateItem(value, ctx, 0) };
}

interface ItemContext {
  readonly text: string;
  readonly maxDepth: number;
  readonly checkDepth: boolean;
  /** Raw id texts per top-level request object, computed at most once and only when needed. */
  rawIds: Array<string | undefined> | undefined;
}

function invalid(id: JsonRpcId, reason: string, rawId: string | undefined): ParsedItem {
  const response = errorResponse(id, RpcErrorCode.InvalidRequest, `Invalid Request: ${reason}`);
  return rawId === undefined ? { kind: 'invalid', response } : { kind: 'invalid', response, rawId };
}

function validateItem(value: unknown, ctx: ItemContext, index: number): ParsedItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(null, 'expected a request object', undefined);
  }
  const obj = value as Record<string, unknown>;

  // The id comes first: every later error echoes it when it is usable.
  const idValue = obj.id;
  let id: JsonRpcId = null;
  let rawId: string | undefined;
  if (idValue !== undefined) {
    if (typeof idValue === 'number') {
      id = idValue;
      // Zero too: it is what 1e-400 and -0.0 become, and a zero id is too rare to cost anything.
      if (!Number.isSafeInteger(idValue) || idValue === 0) rawId = rawIdAt(ctx, index);
    } else if (typeof idValue === 'string' || idValue === null) {
      id = idValue;
    } else {
      return invalid(null, '"id" must be a string, a number or null', undefined);
    }
  }

  if (obj.jsonrpc !== '2.0') return invalid(id, '"jsonrpc" must be exactly "2.0"', rawId);
  const method = obj.method;
  if (typeof method !== 'string' || method.length === 0) {
    return invalid(id, '"method" must be a non-empty string', rawId);
  }
  const params = obj.params;
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    return invalid(id, '"params" must be an array or an object when present', rawId);
  }
  if (ctx.checkDepth && params !== undefined && exceedsDepth(params, ctx.maxDepth)) {
    return invalid(id, `"params" is nested deeper than ${ctx.maxDepth} levels`, rawId);
  }

  // A fresh shallow object: drops unknown members; params are shared, never cloned.
  const request: JsonRpcRequest = { jsonrpc: '2.0', method };
  if (params !== undefined) request.params = params as JsonRpcRequest['params'];
  if (idValue !== undefined) request.id = id;
  return rawId === undefined ? { kind: 'request', request } : { kind: 'request', request, rawId };
}

/** Iterative, so a hostile depth cannot overflow the stack here either. */
function exceedsDepth(root: object, maxDepth: number): boolean {
  const values: object[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop() as object;
    const d = depths.pop() as number;
    if (d > maxDepth) return true;
    if (Array.isArray(v)) {
      for (const child of v) {
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(d + 1);
        }
      }
    } else {
      for (const key in v) {
        const child = (v as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) {
          values.push(child);
          depths.push(d + 1);
        }
      }
    }
  }
  return false;
}

function rawIdAt(ctx: ItemContext, index: number): string | undefined {
  ctx.rawIds ??= scanRawIds(ctx.text);
  return ctx.rawIds[index];
}

// ---------------------------------------------------------------------------------------------
// Raw id scanner. Runs only on text that JSON.parse already accepted, and only for ids that a
// double cannot reproduce, so it can assume valid JSON; it still guards every index and never
// throws (worst case: no raw id, and the double is echoed).

// Character codes (plain constants: const enums do not survive isolated-module transpilers).
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * For each top-level request object (one for a single request, one per batch element), the source
 * text of its "id" member. Duplicate keys: the last one wins, as in JSON.parse.
 */
export function scanRawIds(text: string): Array<string | undefined> {
  try {
    let i = skipWs(text, 0);
    const first = text.charCodeAt(i);
    if (first === OPEN_BRACE) return [scanObjectId(text, i).raw];
    if (first !== OPEN_BRACKET) return [];
    const out: Array<string | undefined> = [];
    i = skipWs(text, i + 1);
    while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACKET) {
      if (text.charCodeAt(i) === OPEN_BRACE) {
        const r = scanObjectId(text, i);
        out.push(r.raw);
        i = r.end;
      } else {
        out.push(undefined);
        i = skipValue(text, i);
      }
      i = skipWs(text, i);
      if (text.charCodeAt(i) === COMMA) i = skipWs(text, i + 1);
      else break;
    }
    return out;
  } catch {
    return [];
  }
}

function scanObjectId(text: string, start: number): { raw: string | undefined; end: number } {
  let raw: string | undefined;
  let i = skipWs(text, start + 1);
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    const inner = text.slice(i + 1, keyEnd - 1);
    // Escaped keys ("\u0069d") are legal JSON and mean "id" to JSON.parse; decode them the same way.
    const key = inner.includes('\\') ? (JSON.parse(text.slice(i, keyEnd)) as string) : inner;
    i = skipWs(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) break;
    i = skipWs(text, i + 1);
    const valueEnd = skipValue(text, i);
    if (key === 'id') raw = text.slice(i, valueEnd);
    i = skipWs(text, valueEnd);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipWs(text, i + 1);
  }
  if (text.charCodeAt(i) === CLOSE_BRACE) i++;
  return { raw, end: i };
}

function skipWs(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

/** `i` is at the opening quote; returns the index after the closing quote. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j += 2;
    else if (c === QUOTE) return j + 1;
    else j++;
  }
  return text.length;
}

function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return text.length;
  }
  // Number or literal: runs until a structural character or whitespace.
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === 32 || d === 9 || d === 10 || d === 13) {
      break;
    }
    j++;
  }
  return j;
}

// ---------------------------------------------------------------------------------------------
// Serialization

/**
 * Serializes one response with the members in the conventional order (jsonrpc, id, result|error).
 * Pass the `rawId` that `parsePayload` returned for the request so that ids a JS number cannot hold
 * (above 2^53, exponents, 1e400) are echoed exactly; `rawId` must come from `parsePayload`.
 * Never throws: a result that cannot be serialized (BigInt, cycle, absurd depth) becomes an
 * Internal error (-32603) for the same id. An `undefined` result is sent as `null`.
 */
export function serializeResponse(response: JsonRpcResponse, rawId?: string): string {
  const idText = rawId ?? JSON.stringify(response.id ?? null);
  const head = '{"jsonrpc":"2.0","id":' + idText;
  try {
    if ('error' in response) return head + ',"error":' + JSON.stringify(response.error) + '}';
    return head + ',"result":' + (JSON.stringify(response.result) ?? 'null') + '}';
  } catch {
    return head + `,"error":{"code":${RpcErrorCode.InternalError},"message":"Internal error: response could not be serialized"}}`;
  }
}
