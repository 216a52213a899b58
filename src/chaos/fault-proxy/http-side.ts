import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Pool } from 'undici';
import { readBodyUpTo } from '../../server/read-body.js';
import type { HungRegistry } from './hung-registry.js';
import {
  DEFAULT_GARBAGE_BODY,
  inspectBody,
  mapResponseItems,
  methodsOf,
  parseResponse,
  rpcErrorFor,
  type FailedCall,
  type InspectedBody,
  type ResponseItem,
} from './jsonrpc-body.js';
import { refusedLogsCalls } from './logs-range-cap.js';
import { coveredCallKeys, ruleCoversMethod, type RuleBook } from './plan.js';
import { answerRewriter } from './answer-rewrite.js';
import type { HttpStatusFault, LogsRangeCapFault, RequestFault, RpcErrorFault, SlowBodyFault } from './rules.js';
import type { Counters } from './stats.js';
import type { Timers } from './timers.js';

/** Bodies above this are refused: a JSON-RPC request this large is a bug, not a workload. */
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

interface UpstreamReply {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export interface HttpSideDeps {
  rules: RuleBook;
  pool: Pool;
  /** Path (and query) of the target URL: every request is sent there, whatever path it came on. */
  targetPath: string;
  /** The target's head, for resolving block tags. */
  head: () => Promise<number | undefined>;
  timers: Timers;
  counters: Counters;
  hung: HungRegistry;
}

/** Handles one HTTP request on the proxy: forward through the pool, with the planned fault. */
export class HttpSide {
  constructor(private readonly deps: HttpSideDeps) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.deps.counters.httpRequests++;
    this.process(req, res).catch(() => {
      // Whatever went wrong, the client must not wait forever for an answer we will never send.
      if (!res.destroyed) res.destroy();
    });
  }

  private async process(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBodyUpTo(req, MAX_REQUEST_BYTES);
    if (body === undefined) {
      sendText(res, 413, 'request body too large');
      return;
    }
    const { rules, timers } = this.deps;
    if (rules.isQuiet('http')) {
      const reply = await this.forward(req, res, body);
      if (reply) send(res, reply);
      return;
    }

    let inspected: InspectedBody | undefined | null = null;
    const inspect = (): InspectedBody | undefined =>
      inspected === null ? (inspected = inspectBody(body.toString('utf8'))) : inspected;
    const plan = rules.planRequest('http', () => methodsOf(inspect()));
    const terminal = plan.terminal;

    switch (terminal?.rule.type) {
      case 'hang':
        this.deps.hung.add(terminal.id, req.socket);
        return;
      case 'reset':
        await timers.sleep(plan.delayMs);
        resetSocket(req.socket);
        return;
      case 'http_status':
        await timers.sleep(plan.delayMs);
        sendHttpStatus(res, terminal.rule as HttpStatusFault);
        return;
      case 'garbage': {
        await timers.sleep(plan.delayMs);
        const text = (terminal.rule as { body?: string }).body ?? DEFAULT_GARBAGE_BODY;
        send(res, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) });
        return;
      }
      case 'rpc_error':
        await this.answerRpcError(req, res, inspect(), terminal.rule as RpcErrorFault, plan.delayMs);
        return;
      case 'logs_range_cap': {
        const inspected = inspect();
        const refused = inspected === undefined ? [] : await refusedLogsCalls(terminal.rule as LogsRangeCapFault, inspected.calls, this.deps.head);
        if (inspected === undefined || refused.length === 0) break;
        rules.countApplied(terminal);
        await this.answerWithErrors(req, res, inspected, refused, plan.delayMs);
        return;
      }
      default:
        break;
    }

    const reply = await this.forward(req, res, body);
    if (!reply) return;
    await timers.sleep(plan.delayMs);
    const rewrite = terminal === undefined ? undefined : answerRewriter(terminal.rule);
    if (terminal !== undefined && rewrite !== undefined) rewriteAnswers(reply, inspect(), terminal.rule, rewrite);
    switch (terminal?.rule.type) {
      case 'truncated':
        reply.body = reply.body.subarray(0, Math.floor(reply.body.length / 2));
        break;
      case 'slow_body':
        await this.trickle(res, reply, (terminal.rule as SlowBodyFault).bytesPerSecond);
        return;
      default:
        break;
    }
    send(res, reply);
  }

  /** Every call (or, for a method-scoped rule in a batch, every matching call) gets the error. */
  private async answerRpcError(
    req: IncomingMessage,
    res: ServerResponse,
    inspected: InspectedBody | undefined,
    rule: RpcErrorFault,
    delayMs: number,
  ): Promise<void> {
    const httpStatus = rule.httpStatus ?? 200;
    if (inspected === undefined) {
      await this.deps.timers.sleep(delayMs);
      send(res, jsonReply(rpcErrorFor(rule, null), httpStatus));
      return;
    }
    const hit = inspected.calls.filter((c) => !inspected.batch || ruleCoversMethod(rule, c.method));
    await this.answerWithErrors(req, res, inspected, hit.map((call) => ({ call, failure: rpcErrorFor(rule, call.id), httpStatus })), delayMs);
  }

  /**
   * Answers the failed calls with their errors; the rest of a batch is still forwarded and the
   * answers merged, as a provider failing one method would do.
   */
  private async answerWithErrors(req: IncomingMessage, res: ServerResponse, inspected: InspectedBody, failed: FailedCall[], delayMs: number): Promise<void> {
    const errors = failed.map((f) => f.failure);
    const failedCalls = new Set(failed.map((f) => f.call));
    const rest = inspected.calls.filter((c) => !failedCalls.has(c));
    if (rest.length === 0) {
      await this.deps.timers.sleep(delayMs);
      send(res, jsonReply(inspected.batch ? errors : errors[0], failed[0]?.httpStatus ?? 200));
      return;
    }
    const reply = await this.forward(req, res, Buffer.from(JSON.stringify(rest.map((c) => c.raw))));
    if (!reply) return;
    const upstream = parseResponse(reply.body.toString('utf8'));
    await this.deps.timers.sleep(delayMs);
    // A non-JSON upstream answer is passed through untouched: merging would hide it.
    send(res, upstream === undefined ? reply : jsonReply([...errors, ...(Array.isArray(upstream) ? upstream : [upstream])], reply.status));
  }

  /**
   * Sends the request to the target. Returns undefined when the client went away or the target
   * failed; in the latter case the client connection is destroyed, which is how an unreachable
   * provider looks from the client (a 502 would be the proxy's own invention).
   */
  private async forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<UpstreamReply | undefined> {
    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClose);
    try {
      const upstream = await this.deps.pool.request({
        method: (req.method ?? 'POST') as 'POST',
        path: this.deps.targetPath,
        headers: forwardHeaders(req.headers),
        body: body.length > 0 ? body : null,
        signal: abort.signal,
      });
      const bytes = Buffer.from(await upstream.body.arrayBuffer());
      return { status: upstream.statusCode, headers: replyHeaders(upstream.headers), body: bytes };
    } catch {
      if (!res.destroyed) res.destroy();
      return undefined;
    } finally {
      res.off('close', onClose);
    }
  }

  private async trickle(res: ServerResponse, reply: UpstreamReply, bytesPerSecond: number): Promise<void> {
    // Ticks of at least 20 ms keep timer overhead low at high rates; at low rates one byte per tick.
    const intervalMs = Math.max(20, 1000 / bytesPerSecond);
    const chunk = Math.max(1, Math.round((bytesPerSecond * intervalMs) / 1000));
    res.writeHead(reply.status, { ...reply.headers, 'content-length': reply.body.length });
    res.flushHeaders();
    for (let offset = 0; offset < reply.body.length; offset += chunk) {
      await this.deps.timers.sleep(intervalMs);
      if (res.destroyed) return;
      res.write(reply.body.subarray(offset, offset + chunk));
    }
    res.end();
  }
}

/** Rewrites the answers to the calls the rule covers; a reply that is not JSON is sent unchanged. */
function rewriteAnswers(reply: UpstreamReply, inspected: InspectedBody | undefined, rule: RequestFault, rewrite: (item: ResponseItem) => unknown): void {
  const value = parseResponse(reply.body.toString('utf8'));
  if (value === undefined) return;
  reply.body = Buffer.from(JSON.stringify(mapResponseItems(value, rewrite, coveredCallKeys(rule, inspected?.calls))));
}

function sendHttpStatus(res: ServerResponse, rule: HttpStatusFault): void {
  const headers: OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8' };
  if (rule.retryAfterSeconds !== undefined) headers['retry-after'] = String(rule.retryAfterSeconds);
  const body = Buffer.from(rule.body ?? STATUS_CODES[rule.status] ?? `HTTP ${rule.status}`);
  send(res, { status: rule.status, headers, body });
}

function jsonReply(value: unknown, status: number): UpstreamReply {
  return { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value)) };
}

function send(res: ServerResponse, reply: UpstreamReply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': reply.body.length });
  res.end(reply.body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  send(res, { status, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }, body: Buffer.from(text) });
}

/** RST instead of FIN, so the client sees ECONNRESET as from a crashed peer. */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function replyHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}
