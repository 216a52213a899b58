import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { JsonRpcFailure } from '../../jsonrpc/types.js';
import {
  DEFAULT_GARBAGE_BODY,
  idKey,
  inspectBody,
  mapResponseItems,
  methodsOf,
  responseIds,
  rpcErrorFor,
  type FailedCall,
  type InspectedBody,
  type ResponseItem,
} from './jsonrpc-body.js';
import { refusedLogsCalls } from './logs-range-cap.js';
import { coveredCallKeys, ruleCoversMethod, type ActiveRule, type RuleBook, type TerminalFault } from './plan.js';
import { answerRewriter } from './answer-rewrite.js';
import type { GarbageFault, LogsRangeCapFault, RpcErrorFault } from './rules.js';
import type { Counters } from './stats.js';
import type { Timers } from './timers.js';

/** How long the proxy waits for the target's WS handshake before failing the client's upgrade. */
const UPSTREAM_HANDSHAKE_TIMEOUT_MS = 5_000;

export interface WsSideDeps {
  rules: RuleBook;
  /** Undefined: WS is not proxied and upgrades get 404. */
  targetWsUrl: string | undefined;
  /** The target's head, for resolving block tags. */
  head: () => Promise<number | undefined>;
  timers: Timers;
  counters: Counters;
}

/**
 * The WS half of the proxy: one upstream WS per client WS, messages piped both ways with the
 * planned faults. The upstream is connected before the client's upgrade is accepted, so a
 * client never holds a socket that leads nowhere (an unreachable target fails the upgrade with 502).
 */
export class WsSide {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly connections = new Set<WsConnection>();
  /** Upgrades waiting for their upstream handshake. */
  private readonly pending = new Set<{ upstream: WebSocket; socket: Duplex }>();

  constructor(private readonly deps: WsSideDeps) {}

  get openConnections(): number {
    return this.connections.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const target = this.deps.targetWsUrl;
    if (target === undefined) {
      rejectUpgrade(socket, 404);
      return;
    }
    if (this.deps.rules.has('ws_drop')) {
      this.deps.rules.recordStateFault('ws_drop');
      rejectUpgrade(socket, 503);
      return;
    }
    const upstream = new WebSocket(target, {
      perMessageDeflate: false,
      handshakeTimeout: UPSTREAM_HANDSHAKE_TIMEOUT_MS,
    });
    // Errors after the handshake are handled by the connection; this keeps any other one from crashing the process.
    upstream.on('error', () => undefined);
    const entry = { upstream, socket };
    this.pending.add(entry);
    const onSocketClose = (): void => {
      this.pending.delete(entry);
      upstream.terminate();
    };
    socket.once('close', onSocketClose);
    const onUpstreamError = (): void => {
      this.pending.delete(entry);
      socket.off('close', onSocketClose);
      rejectUpgrade(socket, 502);
    };
    upstream.once('error', onUpstreamError);
    upstream.once('open', () => {
      this.pending.delete(entry);
      socket.off('close', onSocketClose);
      upstream.off('error', onUpstreamError);
      if (socket.destroyed || this.deps.rules.has('ws_drop')) {
        upstream.terminate();
        if (!socket.destroyed) rejectUpgrade(socket, 503);
        return;
      }
      // If ws rejects the handshake itself (bad headers), no connection owns the upstream yet.
      const orphanGuard = (): void => void upstream.terminate();
      socket.once('close', orphanGuard);
      this.wss.handleUpgrade(req, socket, head, (client) => {
        socket.off('close', orphanGuard);
        this.deps.counters.wsConnections++;
        const connection = new WsConnection(client, upstream, this.deps, () => this.connections.delete(connection));
        this.connections.add(connection);
      });
    });
  }

  /** `ws_drop`: close every client connection (clean close frame with `closeCode`, else abrupt). */
  dropAll(closeCode: number | undefined): void {
    for (const connection of [...this.connections]) {
      this.deps.rules.recordStateFault('ws_drop');
      connection.drop(closeCode);
    }
  }

  /** Terminates every connection and pending upgrade (refuse, close). */
  closeAll(): void {
    for (const { upstream, socket } of this.pending) {
      upstream.terminate();
      socket.destroy();
    }
    this.pending.clear();
    for (const connection of [...this.connections]) connection.drop(undefined);
  }

  close(): void {
    this.closeAll();
    this.wss.close();
  }
}

/** What to do with the reply to a request message, found by the reply's id. */
interface ReplyDecision {
  keys: string[];
  delayMs: number;
  truncate?: boolean;
  /** Rewrites the answers to the covered calls (all of them when `covered` is undefined): wrong_id, rewrite_result. */
  rewrite?: { covered: ReadonlySet<string> | undefined; item: (item: ResponseItem) => unknown };
  /** Errors to merge into a batch reply (rpc_error on part of a batch). */
  mergeErrors?: JsonRpcFailure[];
}

/** One client WS bridged to its own upstream WS. */
class WsConnection {
  private readonly replies = new Map<string, ReplyDecision>();
  /** Notifications wait here in arrival order; each leaves no earlier than its due time. */
  private readonly notificationQueue: { data: string; due: number }[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(
    private readonly client: WebSocket,
    private readonly upstream: WebSocket,
    private readonly deps: WsSideDeps,
    private readonly onClosed: () => void,
  ) {
    client.on('message', (data, isBinary) => this.fromClient(data, isBinary));
    upstream.on('message', (data, isBinary) => this.fromUpstream(data, isBinary));
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.once('close', (code, reason) => {
      closeWith(upstream, code, reason);
      this.finish();
    });
    upstream.once('close', (code, reason) => {
      closeWith(client, code, reason);
      this.finish();
    });
  }

  drop(closeCode: number | undefined): void {
    if (closeCode === undefined) this.client.terminate();
    else closeWith(this.client, closeCode, Buffer.from('dropped by fault proxy'));
    this.upstream.terminate();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.replies.clear();
    this.notificationQueue.length = 0;
    this.onClosed();
  }

  private fromClient(data: RawData, isBinary: boolean): void {
    this.deps.counters.wsMessagesFromClients++;
    const { rules, timers } = this.deps;
    if (isBinary || rules.isQuiet('ws')) {
      this.toUpstream(data, isBinary);
      return;
    }
    const text = rawToString(data);
    let inspected: InspectedBody | undefined | null = null;
    const inspect = (): InspectedBody | undefined => (inspected === null ? (inspected = inspectBody(text)) : inspected);
    const plan = rules.planRequest('ws', () => methodsOf(inspect()));
    const terminal = plan.terminal;
    switch (terminal?.rule.type) {
      case 'hang':
        return; // swallowed: the client's request never gets a reply
      case 'reset':
        timers.after(plan.delayMs, () => this.drop(undefined));
        return;
      case 'garbage': {
        const body = (terminal.rule as GarbageFault).body ?? DEFAULT_GARBAGE_BODY;
        timers.after(plan.delayMs, () => this.toClient(body));
        return;
      }
      case 'rpc_error': {
        const rule = terminal.rule as RpcErrorFault;
        const body = inspect();
        if (body === undefined) {
          const reply = JSON.stringify(rpcErrorFor(rule, null));
          timers.after(plan.delayMs, () => this.toClient(reply));
          return;
        }
        const hit = body.calls.filter((c) => !body.batch || ruleCoversMethod(rule, c.method));
        this.answerWithErrors(body, hit.map((call) => ({ call, failure: rpcErrorFor(rule, call.id), httpStatus: 200 })), plan.delayMs);
        return;
      }
      case 'logs_range_cap': {
        const body = inspect();
        if (body === undefined) break;
        void this.capLogsRange(text, body, terminal, plan.delayMs);
        return;
      }
      default:
        break;
    }
    this.forward(text, inspect, plan.delayMs, terminal);
  }

  /** Refuses the calls over the cap (the head lookup makes this asynchronous), forwards the rest. */
  private async capLogsRange(text: string, body: InspectedBody, active: ActiveRule<TerminalFault>, delayMs: number): Promise<void> {
    const refused = await refusedLogsCalls(active.rule as LogsRangeCapFault, body.calls, this.deps.head);
    if (this.closed) return;
    if (refused.length === 0) {
      this.forward(text, () => body, delayMs, undefined);
      return;
    }
    this.deps.rules.countApplied(active);
    this.answerWithErrors(body, refused, delayMs);
  }

  /** Answers the failed calls with their errors; the rest of a batch is forwarded and the answers merged. */
  private answerWithErrors(body: InspectedBody, failed: FailedCall[], delayMs: number): void {
    const errors = failed.map((f) => f.failure);
    const failedCalls = new Set(failed.map((f) => f.call));
    const rest = body.calls.filter((c) => !failedCalls.has(c));
    if (rest.length === 0) {
      const reply = JSON.stringify(body.batch ? errors : errors[0]);
      this.deps.timers.after(delayMs, () => this.toClient(reply));
      return;
    }
    this.expectReply({ keys: rest.map((c) => idKey(c.id)), delayMs, mergeErrors: errors });
    this.toUpstream(JSON.stringify(rest.map((c) => c.raw)), false);
  }

  /** Sends the request on, noting how its reply must be delayed or altered. */
  private forward(text: string, inspect: () => InspectedBody | undefined, delayMs: number, terminal: ActiveRule<TerminalFault> | undefined): void {
    if (terminal !== undefined || delayMs > 0) {
      const body = inspect();
      if (body !== undefined) {
        const decision: ReplyDecision = { keys: body.calls.map((c) => idKey(c.id)), delayMs };
        if (terminal?.rule.type === 'truncated') decision.truncate = true;
        const rewrite = terminal === undefined ? undefined : answerRewriter(terminal.rule);
        if (terminal !== undefined && rewrite !== undefined) decision.rewrite = { covered: coveredCallKeys(terminal.rule, body.calls), item: rewrite };
        this.expectReply(decision);
      }
    }
    this.toUpstream(text, false);
  }

  private expectReply(decision: ReplyDecision): void {
    for (const key of decision.keys) this.replies.set(key, decision);
  }

  private fromUpstream(data: RawData, isBinary: boolean): void {
    this.deps.counters.wsMessagesToClients++;
    const rules = this.deps.rules;
    if (isBinary || (this.replies.size === 0 && !rules.hasNotificationRules() && this.notificationQueue.length === 0)) {
      this.client.send(data, { binary: isBinary });
      return;
    }
    const text = rawToString(data);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.toClient(text);
      return;
    }
    if (isNotification(value)) {
      this.notification(text);
      return;
    }
    const decision = this.takeDecision(value);
    if (decision === undefined) {
      this.toClient(text);
      return;
    }
    const out = applyDecision(text, value, decision);
    this.deps.timers.after(decision.delayMs, () => this.toClient(out));
  }

  private takeDecision(value: unknown): ReplyDecision | undefined {
    if (this.replies.size === 0) return undefined;
    for (const id of responseIds(value)) {
      const decision = this.replies.get(idKey(id));
      if (decision === undefined) continue;
      for (const key of decision.keys) this.replies.delete(key);
      return decision;
    }
    return undefined;
  }

  private notification(text: string): void {
    const plan = this.deps.rules.planNotification();
    if (plan.drop) return;
    if (plan.delayMs === 0 && this.notificationQueue.length === 0) {
      this.toClient(text);
      return;
    }
    this.notificationQueue.push({ data: text, due: Date.now() + plan.delayMs });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    const head = this.notificationQueue[0];
    if (head === undefined) return;
    this.flushScheduled = true;
    this.deps.timers.after(Math.max(0, head.due - Date.now()), () => {
      this.flushScheduled = false;
      const now = Date.now();
      while (this.notificationQueue.length > 0 && this.notificationQueue[0]!.due <= now) {
        this.toClient(this.notificationQueue.shift()!.data);
      }
      this.scheduleFlush();
    });
  }

  private toClient(text: string): void {
    if (this.client.readyState === WebSocket.OPEN) this.client.send(text);
  }

  private toUpstream(data: RawData | string, isBinary: boolean): void {
    if (this.upstream.readyState === WebSocket.OPEN) this.upstream.send(data, { binary: isBinary });
  }
}

function applyDecision(text: string, value: unknown, decision: ReplyDecision): string {
  let out = text;
  if (decision.mergeErrors !== undefined) {
    out = JSON.stringify([...decision.mergeErrors, ...(Array.isArray(value) ? value : [value])]);
  }
  if (decision.rewrite !== undefined) {
    const { covered, item: rewrite } = decision.rewrite;
    out = JSON.stringify(mapResponseItems(value, rewrite, covered));
  }
  if (decision.truncate) out = out.slice(0, Math.floor(out.length / 2));
  return out;
}

function isNotification(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    (value as { method?: unknown }).method === 'eth_subscription'
  );
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/**
 * Passes a close on to the other side. 1005 (no code) and 1006 (abnormal) cannot be sent in a
 * close frame: an abnormal close is mirrored by terminating, so the client sees the same thing.
 */
function closeWith(ws: WebSocket, code: number, reason: Buffer): void {
  if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
  if (code === 1006) {
    ws.terminate();
    return;
  }
  try {
    if (code === 1005) ws.close();
    else ws.close(code, reason);
  } catch {
    ws.terminate();
  }
}

function rejectUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
