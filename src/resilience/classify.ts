import { RpcErrorCode } from '../jsonrpc/errors.js';
import type { JsonRpcErrorObject } from '../jsonrpc/types.js';
import type { AttemptOutcome } from '../transport/outcome.js';
import { parseLogsRangeLimit } from './range-limit.js';
import type { LogsRangeLimit } from './range-limit.js';

/**
 * The four error classes (README, "How a request is served"). They drive both failover and breaker
 * accounting, so every upstream answer that is not a result maps to exactly one of them.
 */
export type ErrorClass = 'deterministic' | 'rate_limit' | 'capability' | 'provider_failure';

/** Which breaker threshold a provider failure counts towards (timeouts trip fastest). */
export type BreakerFailureKind = 'timeout' | 'network' | 'other';

/**
 * What kind of capability gap a `capability` error revealed; decides what is remembered
 * (see CapabilityMemory.record).
 */
export type CapabilityKind =
  /** The provider does not serve this method at all (-32601, "unsupported method"...). */
  | 'unsupported_method'
  /**
   * This provider rejects something about the request (a block tag, a tx type it does not know...)
   * but serves the method otherwise: fail over, remember nothing.
   */
  | 'unsupported_params'
  /** eth_getLogs-style range or result-count limit of this provider. */
  | 'range_too_large'
  /** Request or response too large for this provider (HTTP 413, "response size exceeded" on a non-log method). */
  | 'too_large'
  /** The provider's batch limit ("batch too large", "too many requests in batch"): another may take it. */
  | 'batch_too_large'
  /**
   * The provider gave up executing this call ("execution aborted (timeout = 5s)"): its time cap is
   * too tight for this request, another provider may allow more. Says nothing about its health.
   */
  | 'execution_timeout'
  /** Old state pruned, or the block is unknown to this provider (pruned, or not seen yet). */
  | 'block_unavailable';

export interface Classification {
  errorClass: ErrorClass;
  /** Only for `provider_failure`. */
  breakerKind?: BreakerFailureKind;
  /** Only for `rate_limit`, when the provider said how long to wait; callers default to 30 s. */
  retryAfterMs?: number;
  /** Only for `capability`. */
  capabilityKind?: CapabilityKind;
  /**
   * Only for `range_too_large`, when the refusal states a limit or suggests a range (parsed from
   * its text): what an eth_getLogs splitter can ask this provider for.
   */
  rangeLimit?: LogsRangeLimit;
  /**
   * Set only for a `cancelled` attempt (deadline hit, or a hedge won). Such an attempt is neither
   * a success nor a failure: see `classifyOutcome`.
   */
  cancelled?: true;
  /**
   * Short machine tag from a fixed vocabulary (safe as a metric label: bounded cardinality, never
   * the upstream's message text, never a URL).
   */
  reason: string;
}

/** What an attempt's result means for the channel's circuit breaker. */
export type BreakerVerdict = 'success' | 'failure' | 'neutral';

// --- Message patterns -------------------------------------------------------------------------
// Matched against the lower-cased message (plus string-ish `data`). Providers phrase the same
// condition many ways; these lists come from geth, erigon, nethermind, besu, reth, anvil/hardhat,
// Frontier and the hosted providers' answers (Alchemy, Infura, QuickNode, Ankr, Tenderly,
// Cloudflare-fronted public endpoints). test/unit/resilience/vendor-errors.fixtures.ts holds one
// real answer per shape.

/** Reverts first: a revert reason is arbitrary contract text ("rate limit exceeded" is a valid reason). */
const REVERT = /revert|vm exception|vm execution error/;

/** The node itself judged the transaction or call invalid: every provider would answer the same. */
const DETERMINISTIC_TEXTS: readonly (readonly [RegExp, string])[] = [
  [/nonce too low|nonce has already been used|oldnonce/, 'nonce_too_low'],
  [/insufficient funds|insufficient balance/, 'insufficient_funds'],
  [/already known|known transaction|alreadyknown|already imported|already in (the )?(mempool|pool)/, 'already_known'],
  [/replacement transaction underpriced|replacement fee too low/, 'replacement_underpriced'],
  [/transaction underpriced|max fee per gas less than block base fee|fee cap less than block base fee|feecap|tip higher than fee cap|max priority fee per gas higher/, 'fee_too_low'],
  [/intrinsic gas too low|gas too low/, 'intrinsic_gas_too_low'],
  [/gas required exceeds allowance|out of gas|exceeds block gas limit|gas limit (reached|exceeded)/, 'out_of_gas'],
  [/invalid opcode|stack underflow|stack overflow|invalid jump/, 'evm_error'],
  [/invalid sender|invalid signature|invalid chain ?id|only replay-protected|(tx|transaction) type not supported/, 'invalid_transaction'],
  // A from > to filter is the client's mistake, not this provider's range limit.
  [/invalid block range|fromblock.*(after|greater|>).*toblock/, 'invalid_params'],
];

/** A batch over the provider's batch limit (checked before rate limits: "too many requests in batch"). */
const BATCH_TOO_LARGE =
  /batch (is )?too (large|big)|batch size (is )?(too large|limit|exceed)|too many (requests|calls|items) in (a |the )?batch|batch (request )?limit (exceeded|reached)|exceeds? (the )?(max(imum)? )?batch (size|limit)|maximum batch size/;

/** Range / result-count limits of log queries (checked before rate limits: -32005 is shared). */
const RANGE_TOO_LARGE =
  /blocks? range|range (is )?too (large|wide|big)|query returned more than|more than [\d,]+ (results|logs|blocks)|response size|too many (blocks|logs|results)|exceed(s|ed)? (the )?(max(imum)? )?(block )?range|results? (limit|too large)|range limit|limited to .*range|range \d+ exceeds limit/;

/**
 * The node stopped executing the call at its own time cap (geth "execution aborted (timeout = 5s)",
 * Infura "query timeout exceeded"). On a log query, a smaller range is the cure.
 */
const EXECUTION_TIMEOUT = /execution (aborted \(timeout|timeout|timed out)|query timeout exceeded|evm timeout|(call|trace|tracing) timed? ?out/;

/** Request or answer larger than this provider takes (other providers may take more). */
const TOO_LARGE = /entity too large|payload too large|(request|response|body|message) (is )?too (large|big)|exceeds? (the )?(max(imum)? )?(request|response|payload|body) size/;

/** Log-querying methods where a bare "limit exceeded" means the range/result limit. */
const RANGE_METHODS = new Set(['eth_getLogs', 'eth_getFilterLogs', 'eth_newFilter', 'trace_filter']);

/**
 * The method itself is unavailable. Only texts that talk about the *method* (or a namespace) count:
 * "pending block is not supported" must not blacklist eth_getBlockByNumber for ten minutes.
 */
const UNSUPPORTED_METHOD =
  /method not found|unsupported method|method .*(not supported|unsupported|not implemented|does not exist|not available|not whitelisted|not allowed|forbidden|disabled|not enabled)|namespace .*(disabled|not enabled|not available)/;

/** Something else about the request is unsupported by this provider. */
const UNSUPPORTED_OTHER = /not supported|unsupported|not implemented|not available/;

/**
 * Old state pruned away, or a block this provider does not (yet) have. Anvil reports the latter as
 * -32602 "BlockOutOfRangeError: block height is N but requested was M", so this runs before the
 * invalid-params rule: on a lagging node that is a lag problem, not the client's mistake.
 */
const BLOCK_UNAVAILABLE =
  /missing trie node|header not found|unknown block|block not found|pruned|archive|historical state|state (is )?not available|state histor(y|ies)|distance to target block exceeds|block .*(not found|unavailable)|blockoutofrange|block (number |height )?.*out of range|beyond (the )?(current )?head/;

const RATE_LIMIT =
  /rate ?limit|rate exceeded|too many requests?\b|request limit|requests? per second|exceeded .*(capacity|quota|limit|throughput|compute units)|(capacity|quota|throughput) .*exceeded|(daily|monthly) request count|credits? (limit|exhausted)|throttl/;

/** Cloudflare's rate-limit page in front of a public endpoint ("error code: 1015"). */
const CLOUDFLARE_RATE_LIMIT = /error code:? ?1015|error 1015/;

/** Vaguer limit texts: a rate limit, except on log queries where they mean the range limit. */
const LOOSE_LIMIT = /limit exceeded|exceeds? (the )?limit|over (the )?limit/;

/** App-level errors that nonetheless say "this provider is unwell right now". */
const PROVIDER_UNWELL_TIMEOUT = /timed? ?out|timeout|deadline exceeded/;
const PROVIDER_UNWELL =
  /internal error|server error|service unavailable|bad gateway|temporarily unavailable|overloaded|upstream|backend|no healthy|connection (refused|reset|closed)|not synced|syncing/;

/** Auth/account problems: this provider's configuration is broken, another may well be fine. */
const AUTH = /api ?key|unauthori[sz]ed|forbidden|authenticat|project id|invalid (app|project)|app is inactive|access denied|suspended|payment required/;

/**
 * EIP-1474 -32005 (Infura), QuickNode -32007, Base -32016, -32029 (Blast, TheRPC), Ankr -32090,
 * and 429 / 1015 used as JSON-RPC codes by gateways that copy the HTTP status or Cloudflare's code.
 */
const RPC_RATE_LIMIT_CODES = new Set([-32005, -32007, -32016, -32029, -32090, 429, 1015]);
/** EIP-1474 "method not supported" / "resource unavailable". */
const RPC_CAPABILITY_CODES = new Set([RpcErrorCode.MethodNotFound, -32004]);

/**
 * Classifies one attempt's outcome. Returns `null` for a success (`result`).
 *
 * Decisions worth knowing:
 * - Unknown JSON-RPC errors with HTTP 2xx/4xx that match nothing are `deterministic`: providers
 *   return app-level errors with 200, and failing over on them would multiply load for answers
 *   that every provider would give. With HTTP 5xx they are `provider_failure`.
 * - HTTP 401/403/404 etc. (with or without a JSON-RPC body) and auth-sounding messages are
 *   `provider_failure`: the provider is misconfigured (bad key) and every request would fail.
 * - "header not found" / "unknown block" are `capability` (`block_unavailable`), not provider
 *   failures: a client asking for a block nobody has yet must not open every provider's breaker,
 *   and a lagging provider is handled by head tracking (maxLagBlocks), not by the breaker.
 * - A `cancelled` attempt returns `{ errorClass: 'deterministic', cancelled: true }`: the two
 *   decisions taken from the class alone are then right (no failover, since the deadline passed
 *   or a hedge already won; nothing counted against the breaker). `breakerVerdict` maps it to
 *   'neutral' and callers must record no latency/success evidence for it.
 *
 * @param method the JSON-RPC method: a bare "limit exceeded" means a range limit for eth_getLogs
 *   but a rate limit elsewhere.
 */
export function classifyOutcome(outcome: AttemptOutcome, method: string): Classification | null {
  switch (outcome.type) {
    case 'result':
      return null;
    case 'cancelled':
      return { errorClass: 'deterministic', cancelled: true, reason: 'cancelled' };
    case 'timeout':
      return failure('timeout', 'timeout');
    case 'network':
      return failure('network', 'network');
    case 'bad_response':
      return failure('other', outcome.reason);
    case 'too_large':
      // Every provider would send the same answer: the request asked for too much.
      return deterministic('response_too_large');
    case 'http_error':
      return classifyHttpStatus(outcome.httpStatus, outcome.retryAfterMs, outcome.bodySnippet);
    case 'rpc_error':
      return classifyRpcError(outcome.error, outcome.httpStatus, outcome.retryAfterMs, method);
  }
}

/**
 * May the request move on to another provider after this attempt?
 * Deterministic answers go back to the client. Methods that are not replay-safe get one dispatch
 * and move on only when the request provably never left (connection refused before sending).
 */
export function shouldFailover(c: Classification, replaySafe: boolean, outcome: AttemptOutcome): boolean {
  if (c.errorClass === 'deterministic') return false;
  if (!replaySafe) return outcome.type === 'network' && outcome.neverSent;
  return true;
}

/**
 * How to settle the breaker permit of an attempt: a result or a deterministic answer proves the
 * channel works ('success'); rate limits, capability gaps and cancellations say nothing about its
 * health ('neutral' → `release`); provider failures count ('failure').
 */
export function breakerVerdict(c: Classification | null): BreakerVerdict {
  if (c === null) return 'success';
  if (c.cancelled) return 'neutral';
  switch (c.errorClass) {
    case 'deterministic':
      return 'success';
    case 'provider_failure':
      return 'failure';
    case 'rate_limit':
    case 'capability':
      return 'neutral';
  }
}

function failure(kind: BreakerFailureKind, reason: string): Classification {
  return { errorClass: 'provider_failure', breakerKind: kind, reason };
}

function rateLimit(reason: string, retryAfterMs: number | undefined): Classification {
  return retryAfterMs === undefined ? { errorClass: 'rate_limit', reason } : { errorClass: 'rate_limit', retryAfterMs, reason };
}

function capability(kind: CapabilityKind, reason: string): Classification {
  return { errorClass: 'capability', capabilityKind: kind, reason };
}

function deterministic(reason: string): Classification {
  return { errorClass: 'deterministic', reason };
}

/** A log query over this provider's range limit, with the limit its text states, if any. */
function rangeTooLarge(text: string): Classification {
  const rangeLimit = parseLogsRangeLimit(text);
  const c = capability('range_too_large', 'range_too_large');
  return rangeLimit === undefined ? c : { ...c, rangeLimit };
}

/** Non-2xx HTTP status without a usable JSON-RPC body. */
function classifyHttpStatus(status: number, retryAfterMs: number | undefined, bodySnippet: string): Classification {
  if (status === 429) return rateLimit('http_429', retryAfterMs);
  // Rate-limit pages come with other statuses too (403 from a WAF, 503 from a gateway).
  const body = bodySnippet.toLowerCase();
  if (CLOUDFLARE_RATE_LIMIT.test(body) || RATE_LIMIT.test(body)) return rateLimit('rate_limited', retryAfterMs);
  if (status === 413) return capability('too_large', 'http_413');
  // A gateway that gave up waiting costs us as much as our own timeout would.
  if (status === 408 || status === 504) return failure('timeout', `http_${status}`);
  if (status >= 500) return failure('other', 'http_5xx');
  // 4xx without JSON-RPC (auth, wrong path, WAF page...) or an unexpected 1xx/2xx/3xx: this endpoint
  // is not speaking JSON-RPC to us; another provider will.
  return failure('other', status >= 400 && status < 500 ? 'http_4xx' : 'http_unexpected');
}

function classifyRpcError(
  error: JsonRpcErrorObject,
  httpStatus: number,
  outcomeRetryAfterMs: number | undefined,
  method: string,
): Classification {
  const code = error.code;
  const text = errorText(error);

  if (code === 3 || REVERT.test(text)) return deterministic('execution_reverted');
  if (httpStatus === 429) return rateLimit('http_429', outcomeRetryAfterMs ?? parseRetryAfterMs(error));
  for (const [pattern, reason] of DETERMINISTIC_TEXTS) if (pattern.test(text)) return deterministic(reason);
  if (BATCH_TOO_LARGE.test(text)) return capability('batch_too_large', 'batch_too_large');

  const rangeMethod = RANGE_METHODS.has(method);
  if (RANGE_TOO_LARGE.test(text)) return rangeMethod ? rangeTooLarge(text) : capability('too_large', 'too_large');
  if (EXECUTION_TIMEOUT.test(text)) return rangeMethod ? rangeTooLarge(text) : capability('execution_timeout', 'execution_timeout');
  if (RATE_LIMIT.test(text) || CLOUDFLARE_RATE_LIMIT.test(text)) return rateLimit('rate_limited', outcomeRetryAfterMs ?? parseRetryAfterMs(error));
  if (rangeMethod && (LOOSE_LIMIT.test(text) || /too large/.test(text))) return rangeTooLarge(text);
  if (TOO_LARGE.test(text) || httpStatus === 413) return capability('too_large', 'too_large');
  if (LOOSE_LIMIT.test(text)) return rateLimit('rate_limited', outcomeRetryAfterMs ?? parseRetryAfterMs(error));
  if (RPC_CAPABILITY_CODES.has(code) || UNSUPPORTED_METHOD.test(text)) return capability('unsupported_method', 'unsupported_method');
  // Before the generic "not available": "state is not available" is pruning, not a missing method.
  if (BLOCK_UNAVAILABLE.test(text)) return capability('block_unavailable', 'block_unavailable');
  if (UNSUPPORTED_OTHER.test(text)) return capability('unsupported_params', 'unsupported_params');
  if (RPC_RATE_LIMIT_CODES.has(code)) return rateLimit('rate_limited', outcomeRetryAfterMs ?? parseRetryAfterMs(error));

  if (httpStatus === 401 || httpStatus === 402 || httpStatus === 403 || AUTH.test(text)) return failure('other', 'auth');
  if (code === RpcErrorCode.InvalidParams) return deterministic('invalid_params');
  // We validated and re-serialised the request, so the upstream rejecting it is about the request.
  if (code === RpcErrorCode.InvalidRequest) return deterministic('invalid_request');
  // We sent valid JSON: an upstream parse error means the upstream (or something in between) broke.
  if (code === RpcErrorCode.ParseError) return failure('other', 'upstream_parse_error');
  if (code === RpcErrorCode.InternalError) return failure('other', 'internal_error');
  if (PROVIDER_UNWELL_TIMEOUT.test(text)) return failure('other', 'upstream_timeout');
  if (PROVIDER_UNWELL.test(text)) return failure('other', 'upstream_unwell');
  if (httpStatus >= 500) return failure('other', 'http_5xx');
  if (httpStatus === 404 || httpStatus === 405 || httpStatus === 410) return failure('other', 'http_4xx');
  return deterministic('rpc_error');
}

/** Message plus any human text in `data`, lower-cased. Hex revert data is skipped (it is not prose). */
function errorText(error: JsonRpcErrorObject): string {
  let text = typeof error.message === 'string' ? error.message : '';
  const data = error.data;
  if (typeof data === 'string' && !/^0x[0-9a-f]*$/i.test(data)) text += ` ${data}`;
  else if (data !== null && typeof data === 'object') {
    // Tenderly puts the actual reason in `data.payload` under a bare "invalid params".
    for (const key of ['message', 'details', 'reason', 'error', 'payload']) {
      const v = (data as Record<string, unknown>)[key];
      if (typeof v === 'string') text += ` ${v}`;
    }
  }
  return text.toLowerCase();
}

const UNIT_MS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
};
/** "try again in 2s", "retry after 500 ms", Go durations as Ankr sends them ("retry in 10m0s"). */
const RETRY_HINT = /(?:try again|retry)(?: again)?\s+(?:in|after)\s+((?:\d+(?:\.\d+)?\s*[a-z]*)+)/;
const DURATION_PART = /(\d+(?:\.\d+)?)\s*([a-z]*)/g;

/**
 * Wait hint from a rate-limit error body: `data.retryAfterMs` (ms), `data.retryAfter` /
 * `data.retry_after` / `data.backoff_seconds` (seconds), or text like "try again in 2s",
 * "retry after 500ms", "please retry in 1.5 seconds", "retry in 10m0s". Undefined when absent or
 * unparseable.
 */
export function parseRetryAfterMs(error: JsonRpcErrorObject): number | undefined {
  const data = error.data;
  if (data !== null && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    const ms = finite(d['retryAfterMs']) ?? finite(d['retry_after_ms']);
    if (ms !== undefined) return Math.max(0, Math.round(ms));
    const seconds = finite(d['retryAfter']) ?? finite(d['retry_after']) ?? finite(d['backoff_seconds']);
    if (seconds !== undefined) return Math.max(0, Math.round(seconds * 1000));
  }
  const hint = RETRY_HINT.exec(errorText(error))?.[1];
  if (hint === undefined) return undefined;
  let totalMs = 0;
  for (const [, amount, unit = ''] of hint.matchAll(DURATION_PART)) {
    const unitMs = unit === '' ? 1000 : UNIT_MS[unit];
    if (unitMs === undefined) return undefined;
    totalMs += Number(amount) * unitMs;
  }
  return Math.round(totalMs);
}

function finite(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}
