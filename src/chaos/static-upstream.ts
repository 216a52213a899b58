import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { JsonRpcErrorObject, JsonRpcId, JsonRpcRequest } from '../jsonrpc/types.js';
import { listen, urlAuthority } from '../server/listen.js';

/**
 * What a scripted handler answers for one call. Tagged objects rather than bare results, so that
 * a result which happens to look like `{ status, ... }` (a receipt) is never mistaken for an
 * HTTP reply.
 */
export type StaticReply =
  /** A JSON-RPC success with this result. */
  | { result: unknown }
  /** A JSON-RPC error object. */
  | { error: JsonRpcErrorObject }
  /** A raw HTTP answer for the whole request (first one wins in a batch). */
  | { http: { status: number; body?: string | Uint8Array; headers?: Record<string, string> } }
  /** Never answer (the socket is destroyed when the upstream closes). */
  | { hang: true };

/**
 * Answers one call. Return `undefined` to fall back to the built-in answers, so a handler can
 * script a single method and leave the rest alone.
 */
export type StaticHandler = (req: JsonRpcRequest) => StaticReply | undefined | Promise<StaticReply | undefined>;

export interface StaticUpstreamOptions {
  /** Listen address. @default '127.0.0.1' */
  host?: string;
  /** Listen port; 0 picks a free one. @default 0 */
  port?: number;
  /** Scripted answers; see {@link StaticHandler}. */
  handler?: StaticHandler;
  /** Answer of `eth_blockNumber`. @default 1000 */
  blockNumber?: number | bigint;
  /** Answer of `eth_chainId` / `net_version`. @default 31337 (anvil's) */
  chainId?: number;
  /** Answer of `eth_getBalance`, in wei. @default 10^18 */
  balance?: bigint;
}

export interface StaticUpstream {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  readonly port: number;
  /** HTTP requests received so far. */
  readonly requests: number;
  /** JSON-RPC calls received so far (each batch item counts). */
  readonly calls: number;
  setHandler(handler: StaticHandler | undefined): void;
  setBlockNumber(blockNumber: number | bigint): void;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const PARSE_ERROR = Buffer.from('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}');

/**
 * A tiny scripted JSON-RPC HTTP server for tests and benchmarks that do not need a real node.
 * Without a handler it is the "fast static upstream" of the overhead benchmark: the built-in
 * answers (eth_blockNumber, eth_chainId, net_version, eth_getBalance) are precomputed so that
 * one answer costs a JSON.parse of the request and a string concatenation.
 */
export async function startStaticUpstream(opts: StaticUpstreamOptions = {}): Promise<StaticUpstream> {
  const host = opts.host ?? '127.0.0.1';
  const answers = new BuiltInAnswers(opts);
  let handler = opts.handler;
  let requests = 0;
  let calls = 0;
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    requests++;
    readBody(req, (body) => {
      if (handler === undefined) {
        const out = answerFast(body, answers, (n) => (calls += n));
        res.writeHead(200, { ...JSON_HEADERS, 'content-length': out.length });
        res.end(out);
        return;
      }
      answerScripted(body, handler, answers, (n) => (calls += n)).then(
        (reply) => sendReply(res, reply),
        () => res.destroy(),
      );
    });
  });
  // Long keep-alive: benchmark clients reuse connections, and reconnects would be measured as overhead.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server, host, opts.port ?? 0);
  return {
    url: `http://${urlAuthority(host, port)}`,
    port,
    get requests() {
      return requests;
    },
    get calls() {
      return calls;
    },
    setHandler: (next) => {
      handler = next;
    },
    setBlockNumber: (n) => answers.setBlockNumber(n),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Precomputed answer tails: a response is `{"jsonrpc":"2.0","id":` + id + tail. */
class BuiltInAnswers {
  private readonly tails = new Map<string, string>();

  constructor(opts: StaticUpstreamOptions) {
    const chainId = opts.chainId ?? 31337;
    this.setResult('eth_chainId', toHex(chainId));
    this.setResult('net_version', String(chainId));
    this.setResult('eth_getBalance', toHex(opts.balance ?? 10n ** 18n));
    this.setBlockNumber(opts.blockNumber ?? 1000);
  }

  setBlockNumber(n: number | bigint): void {
    this.setResult('eth_blockNumber', toHex(n));
  }

  /** The built-in answer for a method, as a JSON-RPC reply body (without the id part). */
  tail(method: unknown): string {
    const tail = typeof method === 'string' ? this.tails.get(method) : undefined;
    if (tail !== undefined) return tail;
    const name = typeof method === 'string' ? method : '';
    return `,"error":${JSON.stringify({ code: -32601, message: `the method ${name} does not exist/is not available` })}}`;
  }

  private setResult(method: string, result: unknown): void {
    this.tails.set(method, `,"result":${JSON.stringify(result)}}`);
  }
}

const HEAD = '{"jsonrpc":"2.0","id":';

function answerFast(body: Buffer, answers: BuiltInAnswers, countCalls: (n: number) => void): Buffer {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return PARSE_ERROR;
  }
  const one = (item: unknown): string => {
    const rec = (item ?? {}) as { id?: unknown; method?: unknown };
    return HEAD + JSON.stringify(normaliseId(rec.id)) + answers.tail(rec.method);
  };
  if (Array.isArray(value)) {
    countCalls(value.length);
    return Buffer.from(`[${value.map(one).join(',')}]`);
  }
  countCalls(1);
  return Buffer.from(one(value));
}

type HttpReply = { status: number; headers: Record<string, string>; body: string | Uint8Array } | { hang: true };

async function answerScripted(
  body: Buffer,
  handler: StaticHandler,
  answers: BuiltInAnswers,
  countCalls: (n: number) => void,
): Promise<HttpReply> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { status: 200, headers: JSON_HEADERS, body: PARSE_ERROR };
  }
  const items = Array.isArray(value) ? value : [value];
  countCalls(items.length);
  const parts: string[] = [];
  for (const item of items) {
    const req = (item ?? {}) as JsonRpcRequest;
    const id = normaliseId(req.id);
    const reply = await handler(req);
    if (reply === undefined) parts.push(HEAD + JSON.stringify(id) + answers.tail(req.method));
    else if ('hang' in reply) return { hang: true };
    else if ('http' in reply) {
      return { status: reply.http.status, headers: reply.http.headers ?? {}, body: reply.http.body ?? '' };
    } else if ('error' in reply) parts.push(JSON.stringify({ jsonrpc: '2.0', id, error: reply.error }));
    else parts.push(JSON.stringify({ jsonrpc: '2.0', id, result: reply.result }));
  }
  return { status: 200, headers: JSON_HEADERS, body: Array.isArray(value) ? `[${parts.join(',')}]` : parts[0]! };
}

function sendReply(res: ServerResponse, reply: HttpReply): void {
  if ('hang' in reply || res.destroyed) return;
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': body.length });
  res.end(body);
}

/** Notifications (no id) are answered with id null: a test upstream should show what it got. */
function normaliseId(id: unknown): JsonRpcId {
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function toHex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

function readBody(req: IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}
