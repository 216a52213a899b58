import { Pool } from 'undici';
import { AnvilRpcError, AnvilTransportError } from './errors.js';
import { errorMessage } from '../error-message.js';

/**
 * Minimal JSON-RPC client for one anvil node. The devnet talks to its nodes a lot (several calls
 * per node per block), so it keeps its own small keep-alive pool per node instead of the global
 * dispatcher: closing a node's pool on kill then cannot disturb anyone else's connections.
 */
export class AnvilRpc {
  private readonly pool: Pool;
  private nextId = 1;

  constructor(
    /** Origin of the node, e.g. `http://127.0.0.1:8545`. */
    readonly origin: string,
    /** Per-call deadline. A frozen (SIGSTOP) node must not hang the devnet for long. */
    private readonly timeoutMs = 5_000,
  ) {
    this.pool = new Pool(origin, { connections: 4, pipelining: 1, keepAliveTimeout: 10_000 });
  }

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const id = this.nextId++;
    const body = parseJson<WireAnswer>(method, await this.post(method, JSON.stringify({ jsonrpc: '2.0', id, method, params })));
    return unwrap<T>(method, body);
  }

  /**
   * One HTTP request carrying several calls (a JSON-RPC batch), for calls whose relative order does
   * not matter (anvil may run batch members concurrently). Each member resolves or fails on its own.
   */
  async batch<T>(calls: Array<{ method: string; params: unknown[] }>): Promise<Array<PromiseSettledResult<T>>> {
    if (calls.length === 0) return [];
    const first = this.nextId;
    this.nextId += calls.length;
    const payload = calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params }));
    const label = `batch(${calls[0]?.method ?? ''}x${calls.length})`;
    const answers = parseJson<WireAnswer[]>(label, await this.post(label, JSON.stringify(payload)));
    if (!Array.isArray(answers)) throw new AnvilTransportError(label, 'batch answer is not an array');
    const byId = new Map(answers.map((a) => [a.id, a]));
    return calls.map((c, i) => {
      const answer = byId.get(first + i);
      if (!answer) return { status: 'rejected', reason: new AnvilTransportError(c.method, 'missing from batch answer') };
      try {
        return { status: 'fulfilled', value: unwrap<T>(c.method, answer) };
      } catch (err) {
        return { status: 'rejected', reason: err };
      }
    });
  }

  private async post(label: string, body: string): Promise<string> {
    try {
      const res = await this.pool.request({
        path: '/',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return await res.body.text();
    } catch (err) {
      throw new AnvilTransportError(label, errorMessage(err), { cause: err });
    }
  }

  /** Drops every connection at once: used when the node is gone or the devnet stops. */
  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined);
  }
}

interface WireAnswer {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

function parseJson<T>(label: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new AnvilTransportError(label, `invalid JSON answer: ${text.slice(0, 120)}`, { cause: err });
  }
}

function unwrap<T>(method: string, body: WireAnswer): T {
  if (body.error) {
    const code = typeof body.error.code === 'number' ? body.error.code : 0;
    const message = typeof body.error.message === 'string' ? body.error.message : 'unknown error';
    throw new AnvilRpcError(method, code, message, body.error.data);
  }
  return body.result as T;
}
