import type { JsonRpcFailure, JsonRpcId } from '../../jsonrpc/types.js';
import type { RpcErrorFault } from './rules.js';

/** One call of a request body, as far as the proxy cares. */
export interface CallInfo {
  id: JsonRpcId;
  method: string | undefined;
  /** The original item, for re-sending a subset of a batch. */
  raw: unknown;
}

/** A request body that parsed as JSON; `calls` has one entry per batch item (one for a single call). */
export interface InspectedBody {
  batch: boolean;
  calls: CallInfo[];
}

/** Parses a request body for ids and methods; undefined when it is not JSON at all. */
export function inspectBody(text: string): InspectedBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return { batch: true, calls: value.map(callInfo) };
  return { batch: false, calls: [callInfo(value)] };
}

function callInfo(item: unknown): CallInfo {
  if (item === null || typeof item !== 'object') return { id: null, method: undefined, raw: item };
  const rec = item as Record<string, unknown>;
  const id = typeof rec.id === 'string' || typeof rec.id === 'number' ? rec.id : null;
  const method = typeof rec.method === 'string' ? rec.method : undefined;
  return { id, method, raw: item };
}

/** A call the proxy answers with an error instead of forwarding it. */
export interface FailedCall {
  call: CallInfo;
  failure: JsonRpcFailure;
  /** HTTP status of the answer when no call of the request is forwarded. */
  httpStatus: number;
}

/** Methods of every call, or undefined when any item lacks one (not JSON-RPC). */
export function methodsOf(body: InspectedBody | undefined): string[] | undefined {
  if (body === undefined) return undefined;
  const out: string[] = [];
  for (const call of body.calls) if (call.method !== undefined) out.push(call.method);
  return out.length === 0 ? undefined : out;
}

const DEFAULT_MESSAGES: Record<number, string> = {
  [-32700]: 'parse error',
  [-32600]: 'invalid request',
  [-32601]: 'the method does not exist/is not available',
  [-32602]: 'invalid params',
  [-32603]: 'internal error',
  [-32000]: 'server error',
  [-32005]: 'rate limit exceeded',
  3: 'execution reverted',
};

export function rpcErrorFor(rule: RpcErrorFault, id: JsonRpcId): JsonRpcFailure {
  const error: JsonRpcFailure['error'] = {
    code: rule.code,
    message: rule.message ?? DEFAULT_MESSAGES[rule.code] ?? 'injected fault',
  };
  if (rule.data !== undefined) error.data = rule.data;
  return { jsonrpc: '2.0', id, error };
}

/**
 * An id the request certainly did not use: numbers move far out of the usual counter range
 * (a neighbouring id could silently answer another call of the same batch), strings get a suffix.
 */
export function wrongIdFor(id: unknown): JsonRpcId {
  if (typeof id === 'number') return id + 1_000_000_007;
  if (typeof id === 'string') return `${id}-wrong`;
  return 1_000_000_007;
}

/** Parses a response body; undefined when it is not JSON (the caller then sends it unchanged). */
export function parseResponse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One item of a JSON-RPC response message (an object with an `id`). */
export type ResponseItem = Record<string, unknown> & { id: unknown };

/**
 * Applies `rewrite` to every item of a parsed response (single or batch) that has an id, or only to
 * those whose {@link idKey} is in `only`.
 */
export function mapResponseItems(value: unknown, rewrite: (item: ResponseItem) => unknown, only?: ReadonlySet<string>): unknown {
  const one = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object' || !('id' in item)) return item;
    const answer = item as ResponseItem;
    return only === undefined || only.has(idKey(answer.id)) ? rewrite(answer) : item;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

/** The item under an id the request did not use. */
export function withWrongId(item: ResponseItem): ResponseItem {
  return { ...item, id: wrongIdFor(item.id) };
}

/** The id of every item of a JSON-RPC response message (single or batch); empty when not JSON-RPC. */
export function responseIds(value: unknown): unknown[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => (item !== null && typeof item === 'object' && 'id' in item ? [(item as { id: unknown }).id] : []));
  }
  if (value !== null && typeof value === 'object' && 'id' in value) return [(value as { id: unknown }).id];
  return [];
}

/** Map key for an id; keeps `1` and `"1"` apart. */
export function idKey(id: unknown): string {
  return typeof id === 'string' ? `s:${id}` : `n:${String(id)}`;
}

export const DEFAULT_GARBAGE_BODY =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n';
