import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { ClientFailure } from './record.js';

/** One JSON-RPC call a workload sends. */
export interface TargetCall {
  id: number;
  method: string;
  params: unknown[];
}

/** What a target made of one call. Exactly one of `result`, `error` or `failure` is set. */
export interface TargetReply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  /** The error came from an upstream (passed through), not from the proxy itself. */
  errorFromUpstream?: boolean;
  failure?: ClientFailure;
  failureDetail?: string;
  httpStatus?: number;
  provider?: string;
  attempts?: number;
  /** The target sent a hedge (a second attempt racing the first) for this call. */
  hedged?: boolean;
}

/**
 * Whatever a workload sends its calls to: Lasso over HTTP here; the battle test plugs in
 * client-side alternatives (a pinned provider, viem `fallback`, ethers `FallbackProvider`).
 * `send` never throws: every problem is a {@link TargetReply.failure}.
 */
export interface RpcTarget {
  readonly name: string;
  send(call: TargetCall, options: { timeoutMs: number }): Promise<TargetReply>;
  close(): Promise<void>;
}

export interface HttpTargetOptions {
  /** JSON-RPC endpoint, e.g. `http://127.0.0.1:4000/rpc/devnet`. */
  url: string;
  /** Shown in reports. @default 'lasso' */
  name?: string;
  /**
   * Most connections to the endpoint. An open workload must never queue on the client side
   * (that would hide a stall), so this is large.
   * @default 1024
   */
  connections?: number;
}

/**
 * JSON-RPC over HTTP with undici, reading Lasso's `x-lasso-provider` / `x-lasso-attempts`
 * headers. A response whose id differs from the request's is reported as `id_mismatch`.
 */
export function createHttpTarget(options: HttpTargetOptions): RpcTarget {
  const url = new URL(options.url);
  const path = url.pathname + url.search;
  const pool = new Pool(url.origin, { connections: options.connections ?? 1024, keepAliveTimeout: 30_000 });
  return {
    name: options.name ?? 'lasso',
    send: (call, { timeoutMs }) => sendHttp(pool, path, call, timeoutMs),
    close: async () => {
      await pool.destroy().catch(() => undefined);
    },
  };
}

async function sendHttp(pool: Dispatcher, path: string, call: TargetCall, timeoutMs: number): Promise<TargetReply> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: call.id, method: call.method, params: call.params });
  let status: number;
  let headers: Record<string, string | string[] | undefined>;
  let text: string;
  try {
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.statusCode;
    headers = res.headers;
    text = await res.body.text();
  } catch (err) {
    return transportFailure(err);
  }
  const provider = headerValue(headers['x-lasso-provider']);
  const attemptsText = headerValue(headers['x-lasso-attempts']);
  const meta: Pick<TargetReply, 'provider' | 'attempts' | 'httpStatus' | 'hedged'> = { httpStatus: status };
  if (headerValue(headers['x-lasso-hedged']) === '1') meta.hedged = true;
  if (provider !== undefined && provider !== '') meta.provider = provider;
  if (attemptsText !== undefined && /^\d+$/.test(attemptsText)) meta.attempts = Number(attemptsText);

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ...meta, failure: status === 200 ? 'invalid_json' : 'http_status', failureDetail: `HTTP ${status}` };
  }
  if (!isObject(parsed) || parsed.jsonrpc !== '2.0') {
    return { ...meta, failure: 'invalid_json', failureDetail: 'not a JSON-RPC response' };
  }
  if (parsed.id !== call.id) return { ...meta, failure: 'id_mismatch', failureDetail: `sent id ${call.id}, got ${JSON.stringify(parsed.id)}` };
  if ('result' in parsed && status === 200) return { ...meta, result: parsed.result };
  if (isObject(parsed.error) && typeof parsed.error.code === 'number') {
    const error: NonNullable<TargetReply['error']> = { code: parsed.error.code, message: String(parsed.error.message ?? '') };
    if (parsed.error.data !== undefined) error.data = parsed.error.data;
    // Lasso names the provider whose answer it passes through; its own errors carry none.
    return { ...meta, error, errorFromUpstream: meta.provider !== undefined };
  }
  return { ...meta, failure: status === 200 ? 'invalid_json' : 'http_status', failureDetail: `HTTP ${status}` };
}

function transportFailure(err: unknown): TargetReply {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') {
    return { failure: 'client_timeout' };
  }
  return { failure: 'transport', failureDetail: e.code ?? e.name ?? 'error' };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
