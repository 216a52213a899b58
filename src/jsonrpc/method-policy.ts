/**
 * What Lasso does with a method name: forward it or refuse it, whether a failed attempt may be
 * replayed on another provider, and how long one attempt may take. The pipeline asks `methodPolicy`
 * once per request; nothing else in Lasso should branch on method names for these questions.
 */
import { RpcError, RpcErrorCode } from './errors.js';

export interface MethodPolicyOptions {
  /**
   * Per-method timeout overrides in ms (a chain's `methodTimeoutsMs`), exact method names only.
   * They win over the built-in table.
   */
  timeoutOverridesMs?: Readonly<Record<string, number>>;
  /**
   * Transport the client used. Subscriptions are refused over HTTP and reported as
   * `subscription: true` over WebSocket (the subscription layer handles them, not the pipeline).
   * @default 'http'
   */
  transport?: 'http' | 'ws';
  /**
   * Lasso answers the filter methods itself (reported as `filter: true`); without it they are
   * refused. @default false
   */
  filters?: boolean;
}

export interface MethodPolicy {
  /** False when the pipeline must not dispatch the request upstream. */
  forward: boolean;
  /** Present when the method is refused: send `refusal.toResponse(id)` (nothing for notifications). */
  refusal?: RpcError;
  /**
   * True for reads: a failed attempt may be retried on another provider. False for anything that
   * may change state, and for unknown methods: those get one dispatch, retried only when the
   * request provably never left.
   */
  replaySafe: boolean;
  /** Timeout for one attempt, in ms (override, else the built-in table). */
  timeoutMs: number;
  /** True for eth_subscribe / eth_unsubscribe over WebSocket: route to the subscription layer. */
  subscription?: boolean;
  /** True for the filter methods when Lasso answers them: route to the filter service, not upstream. */
  filter?: boolean;
}

// --- Refused methods ----------------------------------------------------------------------------

/** Methods that need keys held by the node. Lasso never holds keys, and upstreams must not either. */
const KEY_METHODS: ReadonlySet<string> = new Set([
  'eth_sendTransaction',
  'eth_sign',
  'eth_signTransaction',
  'eth_accounts',
  'eth_requestAccounts',
]);
/** Every personal_* method manages or uses node-held keys (sign, unlock, sendTransaction, ...). */
const KEY_PREFIXES = ['eth_signTypedData', 'personal_'] as const;

/**
 * Filters live in one upstream node's memory; Lasso spreads requests over several nodes, so a
 * filter id from one would be unknown to the next ("filter not found", intermittently). Lasso
 * emulates them from its own view of the chain; where it does not, they are refused clearly
 * (clients such as viem then fall back to eth_getLogs polling).
 */
const FILTER_METHODS: ReadonlySet<string> = new Set([
  'eth_newFilter',
  'eth_newBlockFilter',
  'eth_newPendingTransactionFilter',
  'eth_getFilterChanges',
  'eth_getFilterLogs',
  'eth_uninstallFilter',
]);

const SUBSCRIPTION_METHODS: ReadonlySet<string> = new Set(['eth_subscribe', 'eth_unsubscribe']);

// --- Replay safety ------------------------------------------------------------------------------

/** Reads that no prefix below covers. */
const READ_METHODS: ReadonlySet<string> = new Set([
  'eth_call',
  'eth_callMany',
  'eth_estimateGas',
  'eth_createAccessList',
  'eth_simulateV1',
  'eth_blockNumber',
  'eth_chainId',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_blobBaseFee',
  'eth_syncing',
  'eth_protocolVersion',
  'eth_coinbase',
  'eth_mining',
  'eth_hashrate',
  'debug_storageRangeAt',
  'debug_accountRange',
]);
const READ_PREFIXES = [
  'eth_get',
  'net_',
  'web3_',
  'debug_trace',
  'debug_get',
  'trace_',
  'txpool_',
  'ots_',
  'erigon_get',
] as const;
/**
 * Read-looking names that are not replay-safe. eth_getFilterChanges consumes the changes it
 * returns, so a replay would lose them. (Everything not matched as a read is unsafe anyway; this
 * list only carves exceptions out of the read prefixes.)
 */
const NOT_REPLAY_SAFE: ReadonlySet<string> = new Set(['eth_getFilterChanges']);

/** True when a failed attempt may be replayed on another provider (reads). Unknown: false. */
export function isReplaySafe(method: string): boolean {
  if (NOT_REPLAY_SAFE.has(method)) return false;
  if (READ_METHODS.has(method)) return true;
  for (const p of READ_PREFIXES) if (method.startsWith(p)) return true;
  return false;
}

// --- Timeouts per method -------------------------------------------------------------------------

const TIMEOUTS_MS: ReadonlyMap<string, number> = new Map([
  ['eth_chainId', 1000],
  ['net_version', 1000],
  ['eth_blockNumber', 1000],
  ['eth_getBalance', 2000],
  ['eth_getBlockByNumber', 2000],
  ['eth_getBlockByHash', 2000],
  ['eth_getTransactionByHash', 2000],
  ['eth_getTransactionByBlockHashAndIndex', 2000],
  ['eth_getTransactionByBlockNumberAndIndex', 2000],
  ['eth_gasPrice', 2000],
  ['eth_getCode', 2000],
  ['eth_getTransactionCount', 2000],
  ['eth_getTransactionReceipt', 3000],
  ['eth_getBlockReceipts', 3000],
  ['eth_call', 5000],
  ['eth_estimateGas', 5000],
  ['eth_getLogs', 5000],
]);
const TRACE_TIMEOUT_MS = 30_000;
const FALLBACK_TIMEOUT_MS = 10_000;

/** The built-in per-attempt timeout for a method, in ms (no config overrides). */
export function defaultMethodTimeoutMs(method: string): number {
  const t = TIMEOUTS_MS.get(method);
  if (t !== undefined) return t;
  if (method.startsWith('debug_') || method.startsWith('trace_')) return TRACE_TIMEOUT_MS;
  return FALLBACK_TIMEOUT_MS;
}

// --- The one question the pipeline asks ---------------------------------------------------------

function refusalFor(method: string, transport: 'http' | 'ws', filters: boolean): RpcError | undefined {
  if (KEY_METHODS.has(method) || KEY_PREFIXES.some((p) => method.startsWith(p))) {
    return new RpcError(
      RpcErrorCode.MethodNotFound,
      `${method} is not supported: Lasso never holds private keys. Sign in your client or wallet and send the signed transaction with eth_sendRawTransaction.`,
    );
  }
  if (method.startsWith('rpc.')) {
    return new RpcError(RpcErrorCode.MethodNotFound, `${method}: method names starting with "rpc." are reserved by JSON-RPC 2.0`);
  }
  if (!filters && FILTER_METHODS.has(method)) {
    return new RpcError(
      RpcErrorCode.MethodNotFound,
      `${method} is not supported: filters live on a single upstream node and Lasso spreads requests over several. Poll with eth_getLogs / eth_blockNumber, or use eth_subscribe over a WebSocket: /ws/rpc/:chain`,
    );
  }
  if (transport === 'http' && SUBSCRIPTION_METHODS.has(method)) {
    return new RpcError(RpcErrorCode.MethodNotFound, `${method}: subscriptions need a WebSocket: use /ws/rpc/:chain`);
  }
  return undefined;
}

/** Everything the pipeline needs to know about a method, in one call. */
export function methodPolicy(method: string, opts: MethodPolicyOptions = {}): MethodPolicy {
  const transport = opts.transport ?? 'http';
  const overrides = opts.timeoutOverridesMs;
  // hasOwn: a method named "constructor" must not find Object.prototype members.
  const override = overrides !== undefined && Object.hasOwn(overrides, method) ? overrides[method] : undefined;
  const timeoutMs = override ?? defaultMethodTimeoutMs(method);
  const replaySafe = isReplaySafe(method);

  const refusal = refusalFor(method, transport, opts.filters ?? false);
  if (refusal !== undefined) return { forward: false, refusal, replaySafe, timeoutMs };
  if (FILTER_METHODS.has(method)) return { forward: false, replaySafe, timeoutMs, filter: true };
  if (SUBSCRIPTION_METHODS.has(method)) return { forward: false, replaySafe: false, timeoutMs, subscription: true };
  return { forward: true, replaySafe, timeoutMs };
}
