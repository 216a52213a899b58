import { z } from 'zod';
import { FaultRuleError } from './errors.js';

/** Which side of the proxy a request-level fault applies to. */
export type FaultTransport = 'http' | 'ws';

/** Fields shared by the faults that are decided per request (HTTP) or per request message (WS). */
export interface RequestFaultScope {
  /**
   * Chance in [0, 1] that the rule applies to one request (HTTP) or one request message (WS).
   * Drawn from the proxy's seeded PRNG, so a run is reproducible from its seed.
   * @default 1
   */
  probability?: number;
  /**
   * Only requests calling one of these JSON-RPC methods are affected. A batch matches when any
   * of its items matches (a batch travels as one HTTP request), except for `rpc_error`,
   * `wrong_id` and `rewrite_result`, which touch only the matching items. A body that is not valid JSON-RPC never
   * matches a method-scoped rule.
   * @default every method
   */
  methods?: string[];
  /**
   * Restrict the rule to one transport.
   * @default every transport where the fault has a meaning
   */
  transport?: FaultTransport;
  /** Free text shown by the control endpoint; not interpreted. */
  label?: string;
}

/**
 * Delays the response (HTTP: after the upstream answered) or the reply to a request message
 * (WS; found by id, so a non-JSON message is not delayed). Notifications are left to `ws_delay`.
 * Every matching latency rule adds up, and they also delay the answer of another matching fault.
 */
export interface LatencyFault extends RequestFaultScope {
  type: 'latency';
  /** Added delay in milliseconds. */
  ms: number;
  /** Extra uniform random delay in [0, jitterMs), drawn from the seeded PRNG. @default 0 */
  jitterMs?: number;
}

/**
 * Reads the request and never answers, until the client gives up, the rule is removed or the
 * proxy closes (held sockets are then destroyed). On WS the request message is swallowed.
 */
export interface HangFault extends RequestFaultScope {
  type: 'hang';
}

/** Reads the request, then destroys the connection with a TCP RST (HTTP) or terminates the WS. */
export interface ResetFault extends RequestFaultScope {
  type: 'reset';
}

/** Answers with an HTTP status instead of forwarding (HTTP only). */
export interface HttpStatusFault extends Omit<RequestFaultScope, 'transport'> {
  type: 'http_status';
  /** e.g. 429, 502, 503. */
  status: number;
  /** Sets a `Retry-After` header (seconds). */
  retryAfterSeconds?: number;
  /** Response body. @default the status text, as text/plain */
  body?: string;
}

/** Answers with a JSON-RPC error echoing the request id, without forwarding. */
export interface RpcErrorFault extends RequestFaultScope {
  type: 'rpc_error';
  /** JSON-RPC error code, e.g. -32603 (internal), -32005 (limit exceeded), 3 (execution reverted). */
  code: number;
  /** @default a message typical for the code */
  message?: string;
  /** Optional `error.data`. */
  data?: unknown;
  /** HTTP status of the error response (HTTP only). @default 200 */
  httpStatus?: number;
}

/** Answers 200 with a body that is not JSON (HTTP) or a non-JSON text frame (WS). */
export interface GarbageFault extends RequestFaultScope {
  type: 'garbage';
  /** @default an HTML error page, as many load balancers send */
  body?: string;
}

/** Forwards, then answers with the first half of the real response (a framed, invalid JSON body). */
export interface TruncatedFault extends RequestFaultScope {
  type: 'truncated';
}

/** Forwards, then answers with the real response carrying an id the request did not use. */
export interface WrongIdFault extends RequestFaultScope {
  type: 'wrong_id';
}

/**
 * Forwards, then rewrites the `result` of the answers to matching calls: a provider that lies while
 * everything else about it looks healthy. Error answers pass unchanged; in a batch only the answers
 * to calls of the listed `methods` are rewritten. Give exactly one rewrite:
 * - `addHex`: adds this (negative subtracts, floored at 0) to a hex quantity result, e.g.
 *   `{ type: 'rewrite_result', methods: ['eth_blockNumber'], addHex: 1000 }` claims a head 1000
 *   blocks ahead of the real one; a result that is not a hex quantity passes unchanged;
 * - `replace`: the result becomes this JSON value, e.g. `null` to hide a receipt.
 * On WS it rewrites replies to request messages, never subscription notifications.
 */
export interface RewriteResultFault extends RequestFaultScope {
  type: 'rewrite_result';
  addHex?: number;
  replace?: unknown;
}

/** Vendors whose `eth_getLogs` range refusal {@link LogsRangeCapFault} sends, with the code and text they use. */
export const LOGS_RANGE_VENDORS = ['alchemy', 'alchemy_range', 'infura', 'quicknode', 'frontier', 'bsc', 'reth', 'tenderly'] as const;
export type LogsRangeVendor = (typeof LOGS_RANGE_VENDORS)[number];

/**
 * Refuses `eth_getLogs` calls whose block range spans more than `maxBlocks` blocks, with the error a
 * real vendor sends (other calls, and smaller ranges, are forwarded), e.g.
 * `{ type: 'logs_range_cap', maxBlocks: 100, vendor: 'quicknode' }`. Tags (`latest`, `safe`,
 * `finalized`, `pending`, an omitted bound) resolve against the upstream's head, asked with
 * `eth_blockNumber`; `earliest` is 0; a `blockHash` filter is never refused. In a batch only the
 * refused calls get the error, the rest is forwarded and the answers merged. The probability is
 * drawn per request; `applied` counts refused requests. Vendors:
 * - `alchemy`: -32602 "Log response size exceeded. You can make eth_getLogs requests with up to a 2K
 *   block range ... this block range should work: [0x.., 0x..]";
 * - `alchemy_range`: -32600 "You can make eth_getLogs requests with up to a 500 block range. Based on
 *   your parameters, this block range should work: [0x.., 0x..]";
 * - `infura`: -32005 "query returned more than 10000 results. Try with this block range [0x.., 0x..].";
 * - `quicknode`: HTTP 413, -32614 "eth_getLogs is limited to a 10,000 range";
 * - `frontier` (Moonbeam, Astar): -32603 "block range is too wide (maximum 1024)";
 * - `bsc` (geth forks): -32000 "exceed maximum block range: 5000";
 * - `reth`: -32602 "query exceeds max block range 5000";
 * - `tenderly`: -32602 "invalid params" with `data.payload` "range 9000 is bigger than range limit 2000".
 */
export interface LogsRangeCapFault extends Omit<RequestFaultScope, 'methods'> {
  type: 'logs_range_cap';
  /** Most blocks one call may span (both ends included). */
  maxBlocks: number;
  /** Whose error to send. @default 'alchemy' */
  vendor?: LogsRangeVendor;
}

/** Forwards, then trickles the real response body at this rate (HTTP only). */
export interface SlowBodyFault extends Omit<RequestFaultScope, 'transport'> {
  type: 'slow_body';
  bytesPerSecond: number;
}

/**
 * Stops listening while active, so new connections get ECONNREFUSED ("provider down"); open
 * HTTP keep-alive sockets and WS connections are dropped. When the rule is removed the proxy
 * listens again on the same port. Probability and methods do not apply.
 */
export interface RefuseFault {
  type: 'refuse';
  label?: string;
}

/**
 * Drops every client WS connection when added and answers new WS upgrades with 503 while
 * active. HTTP is unaffected.
 */
export interface WsDropFault {
  type: 'ws_drop';
  /** Send a close frame with this code; without it the sockets are terminated abruptly (code 1006 at the client). */
  closeCode?: number;
  label?: string;
}

/**
 * Silently discards subscription notifications (`eth_subscription` messages) while the socket
 * stays open and requests keep being answered: a stalled upstream subscription.
 */
export interface WsStallFault {
  type: 'ws_stall';
  /** Chance that one notification is discarded (below 1: a lossy stream). @default 1 */
  probability?: number;
  label?: string;
}

/** Delays subscription notifications, keeping their order. */
export interface WsDelayFault {
  type: 'ws_delay';
  ms: number;
  /** Extra uniform random delay in [0, jitterMs); order is still kept. @default 0 */
  jitterMs?: number;
  /** Chance that one notification is delayed. @default 1 */
  probability?: number;
  label?: string;
}

export type FaultRule =
  | LatencyFault
  | HangFault
  | ResetFault
  | HttpStatusFault
  | RpcErrorFault
  | GarbageFault
  | TruncatedFault
  | WrongIdFault
  | RewriteResultFault
  | LogsRangeCapFault
  | SlowBodyFault
  | RefuseFault
  | WsDropFault
  | WsStallFault
  | WsDelayFault;

export type FaultType = FaultRule['type'];

export const FAULT_TYPES = [
  'latency',
  'hang',
  'reset',
  'http_status',
  'rpc_error',
  'garbage',
  'truncated',
  'wrong_id',
  'rewrite_result',
  'logs_range_cap',
  'slow_body',
  'refuse',
  'ws_drop',
  'ws_stall',
  'ws_delay',
] as const satisfies readonly FaultType[];

/** Rules decided per request / request message. */
export type RequestFault = Exclude<FaultRule, RefuseFault | WsDropFault | WsStallFault | WsDelayFault>;
/** Rules applied to subscription notifications. */
export type NotificationFault = WsStallFault | WsDelayFault;

const MAX_DELAY_MS = 600_000;

const probability = z.number().min(0).max(1).optional();
const label = z.string().max(200).optional();
const scope = {
  probability,
  methods: z.array(z.string().min(1)).min(1).optional(),
  transport: z.enum(['http', 'ws']).optional(),
  label,
};
const httpOnlyScope = { probability, methods: scope.methods, label };
const delayMs = z.number().int().min(0).max(MAX_DELAY_MS);

const latencySchema = z.strictObject({ type: z.literal('latency'), ms: delayMs, jitterMs: delayMs.optional(), ...scope });
const ruleSchema = z.discriminatedUnion('type', [
  latencySchema,
  z.strictObject({ type: z.literal('hang'), ...scope }),
  z.strictObject({ type: z.literal('reset'), ...scope }),
  z.strictObject({
    type: z.literal('http_status'),
    status: z.number().int().min(200).max(599),
    retryAfterSeconds: z.number().int().min(0).optional(),
    body: z.string().optional(),
    ...httpOnlyScope,
  }),
  z.strictObject({
    type: z.literal('rpc_error'),
    code: z.number().int(),
    message: z.string().optional(),
    data: z.unknown().optional(),
    httpStatus: z.number().int().min(200).max(599).optional(),
    ...scope,
  }),
  z.strictObject({ type: z.literal('garbage'), body: z.string().optional(), ...scope }),
  z.strictObject({ type: z.literal('truncated'), ...scope }),
  z.strictObject({ type: z.literal('wrong_id'), ...scope }),
  z
    .strictObject({ type: z.literal('rewrite_result'), addHex: z.number().int().optional(), replace: z.unknown().optional(), ...scope })
    .refine((rule) => (rule.addHex !== undefined) !== ('replace' in rule), { message: 'give exactly one of addHex and replace' }),
  z.strictObject({
    type: z.literal('logs_range_cap'),
    maxBlocks: z.number().int().min(1),
    vendor: z.enum(LOGS_RANGE_VENDORS).optional(),
    probability,
    transport: scope.transport,
    label,
  }),
  z.strictObject({
    type: z.literal('slow_body'),
    bytesPerSecond: z.number().positive().max(1e9),
    ...httpOnlyScope,
  }),
  z.strictObject({ type: z.literal('refuse'), label }),
  z.strictObject({ type: z.literal('ws_drop'), closeCode: z.number().int().min(1000).max(4999).optional(), label }),
  z.strictObject({ type: z.literal('ws_stall'), probability, label }),
  z.strictObject({ type: z.literal('ws_delay'), ms: delayMs, jitterMs: delayMs.optional(), probability, label }),
]);

/** zod schema of a list of rules, as accepted by the control endpoint. */
export const faultRulesSchema = z.array(ruleSchema);
/** zod schema of one rule. */
export const faultRuleSchema = ruleSchema;

// Compile-time guard: the hand-written (documented) types and the schema must describe the same shape.
type SchemaRule = z.infer<typeof ruleSchema>;
const schemaMatchesTypes: [SchemaRule] extends [FaultRule] ? ([FaultRule] extends [SchemaRule] ? true : false) : false = true;
void schemaMatchesTypes;

/** One validation problem, with the path into the submitted value (e.g. `0.ms`). */
export interface FaultRuleIssue {
  path: string;
  message: string;
}

/** Validates rules; throws {@link FaultRuleError} listing every problem. Returns deep copies. */
export function parseFaultRules(input: unknown): FaultRule[] {
  const result = faultRulesSchema.safeParse(input);
  if (!result.success) {
    const issues: FaultRuleIssue[] = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    throw new FaultRuleError(issues);
  }
  return result.data.map((rule) => structuredClone(rule) as FaultRule);
}

export function isRequestFault(rule: FaultRule): rule is RequestFault {
  switch (rule.type) {
    case 'refuse':
    case 'ws_drop':
    case 'ws_stall':
    case 'ws_delay':
      return false;
    default:
      return true;
  }
}

export function isNotificationFault(rule: FaultRule): rule is NotificationFault {
  return rule.type === 'ws_stall' || rule.type === 'ws_delay';
}

/** The methods a request-level rule is scoped to; undefined when it acts on every method. */
export function ruleMethods(rule: RequestFault): readonly string[] | undefined {
  return rule.type === 'logs_range_cap' ? LOGS_METHODS : rule.methods;
}
const LOGS_METHODS = ['eth_getLogs'] as const;

/** Whether a request-level rule can act on the given transport. */
export function requestFaultAppliesTo(rule: RequestFault, transport: FaultTransport): boolean {
  if (rule.type === 'http_status' || rule.type === 'slow_body') return transport === 'http';
  return rule.transport === undefined || rule.transport === transport;
}
