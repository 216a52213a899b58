/**
 * The config file's shape (zod 4), with every default. Types below are the parsed output, i.e.
 * with all defaults applied. Cross-field rules (duplicate ids, duplicate chainIds, name syntax)
 * live in ./checks.ts so that they are reported even when other fields are invalid.
 */
import { z } from 'zod';
import { DEFAULT_FILTER_IDLE_TIMEOUT_MS, DEFAULT_FILTER_MAX_PER_CLIENT } from '../filters/defaults.js';
import { trustedProxyProblem } from '../front-door/client-ip.js';
import { applyChainPreset, CHAIN_PRESET_NAMES } from './presets.js';
import type { ChainPresetName } from './presets.js';
import { DEFAULT_CACHE_ENABLED, DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_UNFINALIZED_TTL_MS } from '../cache/options.js';
import { DEFAULT_STRATEGY, STRATEGY_NAMES } from '../routing/strategies.js';
import { DEFAULT_COMPRESSION_THRESHOLD_BYTES } from '../server/answer-writer.js';
import { BREAKER_DEFAULTS } from '../resilience/circuit-breaker.js';
import { DEFAULT_MAX_UPSTREAM_RESPONSE_BYTES } from '../transport/http-upstream.js';
import { WS_UPSTREAM_DEFAULTS } from '../transport/ws-upstream.js';
import { GET_LOGS_DEFAULTS } from '../logs/index.js';

/** Chain names and provider ids: used in URLs, metric labels and logs. */
export const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
const METHOD_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// `${PORT}` substitution yields strings: accept numeric / boolean strings where numbers / booleans
// are expected, so `port: ${PORT:-4000}` works without quoting rules.
const numericString = /^\s*-?\d+(\.\d+)?\s*$/;
function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    (v) => (typeof v === 'string' && numericString.test(v) ? Number(v) : v),
    z.int().min(min).max(max),
  );
}
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

function url(protocols: readonly string[]) {
  const expected = protocols.map((p) => p.slice(0, -1)).join(' or ');
  // The value itself is never put in a message: URLs carry API keys.
  return z.string().superRefine((value, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'invalid URL' });
      return;
    }
    if (!protocols.includes(parsed.protocol)) {
      ctx.addIssue({ code: 'custom', message: `URL scheme must be ${expected} (got ${parsed.protocol.slice(0, -1) || 'none'})` });
    }
  });
}

export const StrategyNameSchema = z.enum(STRATEGY_NAMES, {
  error: (iss) => `unknown strategy ${JSON.stringify(iss.input)}; expected one of ${STRATEGY_NAMES.join(', ')}`,
});

export const WebSocketSchema = z.strictObject({
  /** Most client WebSocket connections open at once (all chains); more are refused with HTTP 503. @default 10000 */
  maxConnections: int(1).default(10_000),
  /**
   * Most JSON-RPC requests one connection may have in flight (a batch counts each item). At the
   * limit the front stops reading from the socket until answers go out, so a pipelining client is
   * slowed by TCP backpressure, not failed; only a single batch larger than this gets -32005. @default 256
   */
  maxInFlightPerConnection: int(1).default(256),
  /** Most live subscriptions on one connection; more eth_subscribe calls get -32005. @default 256 */
  maxSubscriptionsPerConnection: int(1).default(256),
  /**
   * Largest accepted client message, in bytes; a larger one gets -32005 and the connection stays
   * open. Messages above twice this size close the connection with 1009 (never buffered). @default 1048576
   */
  maxMessageBytes: int(1).default(1_048_576),
  /**
   * Most bytes waiting to be sent to one client. A client that does not read fast enough to stay
   * under it gets an error notice and a close (1008), never silently dropped messages. @default 4194304
   */
  maxBufferedBytes: int(1024).default(4 * 1_048_576),
  /** Server ping interval, in ms; a client that misses a pong for a whole interval is terminated. 0 disables. @default 30000 */
  pingIntervalMs: int(0).default(30_000),
});

const METHOD_GLOB_PATTERN = /^[A-Za-z*][A-Za-z0-9_*]*$/;
const methodGlobList = z.array(z.string().regex(METHOD_GLOB_PATTERN, 'must be a method name or a glob such as debug_*'));

/** A client's allowance: a steady rate, and how far above it one second may go. */
export const RateLimitSchema = z
  .strictObject({
    /** Sustained requests per second (a batch item counts one, times its method cost). */
    requestsPerSecond: int(1),
    /**
     * Most requests in one second; the extra above requestsPerSecond is granted once per
     * 10 s window, like a token bucket of this size. @default requestsPerSecond
     */
    burst: int(1).optional(),
  })
  .transform((r) => ({ requestsPerSecond: r.requestsPerSecond, burst: Math.max(r.burst ?? r.requestsPerSecond, r.requestsPerSecond) }));

/** Optional allow / deny lists of method names with `*` globs; deny wins. */
export const MethodRulesSchema = z.strictObject({
  /** When set, only matching methods are served. */
  allow: methodGlobList.optional(),
  /** Matching methods are refused (-32601). @default [] */
  deny: methodGlobList.default([]),
});

/** Browser origins such as `https://app.example.com`, or `*` for any. */
const originList = z.array(
  z.string().refine((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o), 'must be an origin such as https://app.example.com (scheme and host, no path) or *'),
);

export const ApiKeySchema = z.strictObject({
  /** The name shown in logs and metrics; the key itself never is. */
  id: z.string().regex(NAME_PATTERN, 'must match /^[a-zA-Z0-9_-]+$/'),
  /** The secret clients present. Never logged, labelled or echoed. */
  key: z.string().min(8, 'must be at least 8 characters'),
  /** Unlimited when absent. */
  rateLimit: RateLimitSchema.optional(),
  /** Methods this key may call. */
  methods: MethodRulesSchema.optional(),
  /** Chain names (or chainIds) this key may use; all when absent. */
  chains: z.array(z.string().min(1)).optional(),
  /** Browser origins allowed for this key, on top of `server.cors.allowedOrigins`. */
  allowedOrigins: originList.optional(),
});

/**
 * Who may use Lasso. Without this section Lasso is open (no keys, no limits), as on a developer's
 * machine.
 */
export const AuthSchema = z.strictObject({
  /** true: requests without a key are served under `anonymousRateLimit`, per client IP. @default false */
  anonymous: bool.default(false),
  /** Per client IP, for requests without a key; unlimited when absent. */
  anonymousRateLimit: RateLimitSchema.optional(),
  /** Client keys. @default [] */
  keys: z.array(ApiKeySchema).default([]),
  /** Required (as a bearer token or `?key=`) on /metrics, /api/* and /dashboard*; /health stays open. */
  adminKey: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Rate-limit cost of a method by name (a glob is allowed); other methods cost 1. @default {} */
  methodCosts: z
    .record(z.string().regex(METHOD_GLOB_PATTERN, 'must be a method name or a glob such as debug_*'), int(1))
    .default({}),
  /**
   * Addresses (IPs or CIDR ranges) of reverse proxies whose `X-Forwarded-For` is believed when
   * finding an anonymous client's IP; from anyone else the header is ignored. @default []
   */
  trustedProxies: z
    .array(
      z.string().superRefine((entry, ctx) => {
        const problem = trustedProxyProblem(entry);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    )
    .default([]),
});

/** Cross-origin access for browser apps. */
export const CorsSchema = z.strictObject({
  /** Origins allowed for every client (per-key origins add to these). @default [] */
  allowedOrigins: originList.default([]),
  /** How long a browser may cache a preflight answer, in seconds. @default 600 */
  maxAgeSeconds: int(0).default(600),
});

export const ServerSchema = z.strictObject({
  /** Listen address. @default '127.0.0.1' */
  host: z.string().min(1).default('127.0.0.1'),
  /** Listen port (0 = any free port). @default 4000 */
  port: int(0, 65535).default(4000),
  /** Largest accepted request body, in bytes. @default 1048576 */
  maxBodyBytes: int(1).default(1_048_576),
  /** Largest accepted JSON-RPC batch (number of requests). @default 100 */
  maxBatchSize: int(1).default(100),
  /** Deadline for one client request, all attempts included, in ms. @default 30000 */
  requestTimeoutMs: int(1).default(30_000),
  /** Client WebSocket front (/ws/rpc/...): connection limits and keep-alive. */
  websocket: WebSocketSchema.prefault({}),
  /** Client keys, rate limits and the admin key; absent = open. */
  auth: AuthSchema.optional(),
  /** Browser cross-origin access. */
  cors: CorsSchema.prefault({}),
  /** Compressed HTTP answers (gzip or br, as the client's Accept-Encoding allows). */
  compression: z
    .strictObject({
      /** Compress answers for clients that accept it. @default true */
      enabled: bool.default(true),
      /** Smallest answer compressed, in bytes. @default 16384 */
      thresholdBytes: int(0).default(DEFAULT_COMPRESSION_THRESHOLD_BYTES),
    })
    .prefault({}),
});

/** Bounds on what one request may cost Lasso. */
export const LimitsSchema = z.strictObject({
  /**
   * Largest answer accepted from one upstream, in bytes after decompression. A larger answer is
   * refused with an error naming this limit (the request asked for too much; the provider is not
   * blamed). @default 67108864
   */
  maxUpstreamResponseBytes: int(1024).default(DEFAULT_MAX_UPSTREAM_RESPONSE_BYTES),
});

/** Filters Lasso emulates (eth_newFilter, eth_newBlockFilter, ...), on every chain. */
export const FiltersSchema = z.strictObject({
  /** A filter not polled for this long is removed, in ms. @default 300000 */
  idleTimeoutMs: int(1000).default(DEFAULT_FILTER_IDLE_TIMEOUT_MS),
  /** Most filters installed at once per API key (per client address without keys). @default 256 */
  maxPerClient: int(1).default(DEFAULT_FILTER_MAX_PER_CLIENT),
});

/** State shared by replicas. */
export const SharedStateSchema = z.strictObject({
  /** One Redis shared by every replica: rate limits, the highest answered head per chain, and filters. */
  redis: z
    .strictObject({
      /** redis:// or rediss:// URL. Secret: only ever shown redacted. */
      url: url(['redis:', 'rediss:']),
      /** Prefix of every key Lasso writes. @default 'lasso:' */
      keyPrefix: z.string().default('lasso:'),
      /**
       * While Redis is unreachable: `local` keeps serving with per-replica limits (fail open),
       * `reject` refuses limited requests with -32005 until it is back. @default 'local'
       */
      whenUnreachable: z.enum(['local', 'reject']).default('local'),
    })
    .optional(),
});

export const LoggingSchema = z.strictObject({
  /** pino level. @default 'info' */
  level: z
    .enum(LOG_LEVELS, { error: (iss) => `unknown log level ${JSON.stringify(iss.input)}; expected one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
});

export const BreakerSchema = z.strictObject({
  /** Consecutive timeouts that open the breaker. @default 2 */
  timeoutThreshold: int(1).default(BREAKER_DEFAULTS.timeoutThreshold),
  /** Consecutive network failures (refused, reset) that open the breaker. @default 3 */
  networkThreshold: int(1).default(BREAKER_DEFAULTS.networkThreshold),
  /** Consecutive other provider failures (5xx, -32603, garbage) that open the breaker. @default 5 */
  otherThreshold: int(1).default(BREAKER_DEFAULTS.otherThreshold),
  /** First open -> half-open delay, in ms; doubled on each reopen. @default 10000 */
  recoveryMs: int(1).default(BREAKER_DEFAULTS.recoveryMs),
  /** Cap of the doubled recovery delay, in ms. @default 300000 */
  maxRecoveryMs: int(1).default(BREAKER_DEFAULTS.maxRecoveryMs),
  /** Successful half-open probes needed to close. @default 2 */
  successesToClose: int(1).default(BREAKER_DEFAULTS.successesToClose),
});

const methodList = z.array(z.string().regex(METHOD_PATTERN, 'must be a method name such as eth_call')).default([]);
const ratio = z.preprocess((v) => (typeof v === 'string' && numericString.test(v) ? Number(v) : v), z.number().min(0).max(1));
const positive = z.preprocess((v) => (typeof v === 'string' && numericString.test(v) ? Number(v) : v), z.number().positive());

/**
 * Hedged requests: when an attempt of a replay-safe read has not answered after a delay derived
 * from observed latency, the same request goes to the next candidate; the first good answer wins.
 */
export const HedgingSchema = z.strictObject({
  /** @default true */
  enabled: bool.default(true),
  /** Latency quantile of (provider, method) the hedge delay is based on. @default 0.9 */
  quantile: ratio.default(0.9),
  /** Hedge delay = quantile latency x multiplier, clamped to [floorMs, ceilingMs]. @default 1.5 */
  multiplier: positive.default(1.5),
  /** Shortest hedge delay, in ms: below it hedges would fire on ordinary jitter. @default 20 */
  floorMs: int(1).default(20),
  /** Longest hedge delay, in ms; also used while a provider is unmeasured. @default 500 */
  ceilingMs: int(1).default(500),
  /**
   * Extra load cap: hedges may add at most this fraction of the chain's requests (token bucket),
   * so a slow period cannot double the traffic to every provider. @default 0.1
   */
  maxExtraLoad: ratio.default(0.1),
  /** Hedges that may be sent in a burst before the cap applies. @default 10 */
  burst: int(1).default(10),
  /** Methods never hedged (non-replay-safe methods never are, whatever this says). @default [] */
  disabledMethods: methodList,
});

/**
 * Adaptive attempt timeouts: per (provider, method), from observed latency, bounded by the
 * per-method timeout; a hung provider is given up on in tens of ms on hot methods.
 */
export const AdaptiveTimeoutsSchema = z.strictObject({
  /** @default true */
  enabled: bool.default(true),
  /** Latency quantile the timeout is based on. @default 0.99 */
  quantile: ratio.default(0.99),
  /** Timeout = quantile latency x multiplier, at least floorMs, at most the method timeout. @default 5 */
  multiplier: positive.default(5),
  /** Shortest adaptive timeout, in ms. @default 50 */
  floorMs: int(1).default(50),
  /** Successful samples of (provider, method) needed before the timeout adapts. @default 20 */
  minSamples: int(1).default(20),
  /** Methods that always use the fixed per-method timeout. @default [] */
  disabledMethods: methodList,
});

/** Coalescing: identical in-flight reads (same method, params and chain head) share one upstream request. */
export const CoalescingSchema = z.strictObject({
  /** @default true */
  enabled: bool.default(true),
  /** Methods never coalesced. @default [] */
  disabledMethods: methodList,
});

/**
 * eth_getLogs over ranges wider than providers accept: a refused range is cut into sub-ranges
 * they take, fetched in parallel and merged in order.
 */
export const GetLogsSchema = z.strictObject({
  /** Sub-range requests in flight at once for one client request. @default 4 */
  concurrency: int(1, 64).default(GET_LOGS_DEFAULTS.concurrency),
  /**
   * Largest answer merged from sub-ranges, in bytes: a request whose logs would exceed it gets an
   * error naming this cap and the range, and no further sub-range is fetched. @default 33554432
   */
  maxResponseBytes: int(1024).default(GET_LOGS_DEFAULTS.maxResponseBytes),
});

/** Settings of one method in the response cache. */
export const MethodCacheSchema = z.strictObject({
  /** false: never cached. @default true */
  enabled: bool.optional(),
  /** Longest time any answer of this method is kept (final ones too), in ms. @default final: until evicted; unfinalized: unfinalizedTtlMs */
  ttlMs: int(1).optional(),
  /** A byte budget of the method's own, apart from the chain's. @default shares the chain's maxBytes */
  maxBytes: int(1024).optional(),
});

/**
 * The response cache, by finality: final answers kept until evicted (and shared through
 * `sharedState.redis` when set), unfinalized ones for a short TTL and dropped on a reorg, moving
 * tags keyed by the number they mean, never anything pending, writes, filters or subscriptions.
 */
export const CacheSchema = z.strictObject({
  /** @default true */
  enabled: bool.default(DEFAULT_CACHE_ENABLED),
  /** Bytes of answers kept in memory for the chain (least recently used go first). @default 67108864 */
  maxBytes: int(1024).default(DEFAULT_CACHE_MAX_BYTES),
  /** How long an answer about a block that is not final yet is kept, in ms. @default 2000 */
  unfinalizedTtlMs: int(1).default(DEFAULT_CACHE_UNFINALIZED_TTL_MS),
  /** Settings by exact method name. @default {} */
  methods: z
    .record(z.string().regex(METHOD_PATTERN, 'must be a method name such as eth_call'), MethodCacheSchema)
    // Null prototype: a client-sent method name such as "constructor" must not find Object.prototype members.
    .transform((r) => Object.assign(Object.create(null) as Record<string, z.output<typeof MethodCacheSchema>>, r))
    .default(() => Object.create(null) as Record<string, z.output<typeof MethodCacheSchema>>),
});

/** Upstream WebSocket channels of a chain's providers (used by subscriptions). */
export const UpstreamWsSchema = z.strictObject({
  /** WebSocket handshake deadline, in ms. @default 5000 */
  connectTimeoutMs: int(1).default(WS_UPSTREAM_DEFAULTS.connectTimeoutMs),
  /** Timeout of one request over an upstream socket (eth_subscribe...), in ms. @default 10000 */
  requestTimeoutMs: int(1).default(WS_UPSTREAM_DEFAULTS.requestTimeoutMs),
  /** Interval between ws pings; 0 disables heartbeats. @default 10000 */
  heartbeatIntervalMs: int(0).default(WS_UPSTREAM_DEFAULTS.heartbeatIntervalMs),
  /** A ping without a pong within this time marks the connection dead, in ms. @default 5000 */
  heartbeatTimeoutMs: int(1).default(WS_UPSTREAM_DEFAULTS.heartbeatTimeoutMs),
  /** First reconnect delay, doubled after each failed attempt, in ms. @default 500 */
  reconnectBaseMs: int(1).default(WS_UPSTREAM_DEFAULTS.reconnectBaseMs),
  /** Cap of the reconnect delay, in ms. @default 30000 */
  reconnectMaxMs: int(1).default(WS_UPSTREAM_DEFAULTS.reconnectMaxMs),
});

/**
 * Subscription continuity (newHeads, logs, newPendingTransactions): stall detection, failover,
 * HTTP backfill and polling fallback.
 */
export const SubscriptionsSchema = z.strictObject({
  /** The active upstream is stalled after this many (estimated) block times without a new head. @default 2 */
  staleAfterBlockTimes: positive.default(2),
  /** Lower bound of the block time estimate (from observed heads), in ms. @default 250 */
  minBlockTimeMs: int(1).default(250),
  /** Upper bound of the block time estimate, in ms; also the estimate before any head was seen. @default 30000 */
  maxBlockTimeMs: int(1).default(30_000),
  /** An upstream subscription without clients is kept this long before `eth_unsubscribe`, in ms. @default 5000 */
  graceMs: int(0).default(5_000),
  /** Largest gap (in blocks) filled over HTTP after a failover; a larger one ends the subscriptions with an error. @default 128 */
  maxBackfillBlocks: int(1).default(128),
  /** How long backfill keeps retrying a gap before giving up on it, in ms. @default 30000 */
  backfillTimeoutMs: int(1).default(30_000),
  /** Head polling interval over HTTP while no WebSocket provider is usable, in ms. @default 1000 */
  pollIntervalMs: int(10).default(1_000),
  /** A provider whose subscription stalled is not chosen again for this long, in ms. @default 30000 */
  stallPenaltyMs: int(0).default(30_000),
  /** Recently delivered blocks remembered for dedupe and reorg detection (deepest reorg handled). @default 256 */
  recentBlocks: int(8).default(256),
  /** Upstream WebSocket connections. */
  upstream: UpstreamWsSchema.prefault({}),
});

export const ProviderSchema = z.strictObject({
  /** Unique within the chain; matches /^[a-zA-Z0-9_-]+$/. */
  id: z.string().regex(NAME_PATTERN, 'must match /^[a-zA-Z0-9_-]+$/'),
  /** HTTP(S) endpoint. Secret: only ever logged through redactUrl. */
  url: url(['http:', 'https:']),
  /** Optional WS(S) endpoint for subscriptions. Secret like `url`. */
  wsUrl: url(['ws:', 'wss:']).optional(),
  /** Lower is preferred by the `priority` strategy. @default the provider's index in the list */
  priority: int(0).optional(),
  /** Serves full history (old state, old traces): never learned as pruned. @default false */
  archive: bool.default(false),
  /**
   * Lowest block this provider serves (a pruned node's history floor); older reads go to it last.
   * Floors it reveals in its answers are learned without it. @default none (learned)
   */
  oldestBlock: int(0).optional(),
  /** Most requests in flight to this provider at once. @default 64 */
  maxConcurrent: int(1).default(64),
  /**
   * Widest eth_getLogs block range this provider accepts (its plan's limit); wider ranges are sent
   * elsewhere or cut to fit. Limits a provider states in its refusals are learned without it.
   * @default none (learned)
   */
  getLogsMaxRange: int(1).optional(),
});

export const ChainObjectSchema = z.strictObject({
  /**
   * A well-known chain (ethereum, base, ...): fills chainId, the head poll interval and, when the
   * chain lists no providers, public endpoints not verified from here. Set keys win.
   */
  preset: z
    .enum(CHAIN_PRESET_NAMES as [ChainPresetName, ...ChainPresetName[]], {
      error: (iss) => `unknown preset ${JSON.stringify(iss.input)}; expected one of ${CHAIN_PRESET_NAMES.join(', ')}`,
    })
    .optional(),
  /** EIP-155 chain id; unique across chains. @default the preset's */
  chainId: int(1),
  /** Strategy when the request URL names none. @default 'best' */
  defaultStrategy: StrategyNameSchema.default(DEFAULT_STRATEGY),
  /** Providers further behind the chain head than this are moved out of the way. @default 3 */
  maxLagBlocks: int(0).default(3),
  /**
   * A provider whose head runs further ahead of the corroborated head than this is an outlier: it
   * gets no traffic that depends on the head until it agrees again. @default maxLagBlocks
   */
  maxAheadBlocks: int(0).optional(),
  /**
   * Longest interval between two head polls of one provider, in ms. Polls follow the chain's block
   * time (down to 250 ms), each provider out of phase with the others. @default 2000
   */
  headPollIntervalMs: int(50).default(2000),
  /** Most attempts (providers tried) for one request. @default 3 */
  maxAttempts: int(1, 20).default(3),
  /** Per-attempt timeouts by exact method name, in ms; override the built-in table. @default {} */
  methodTimeoutsMs: z
    .record(z.string().regex(METHOD_PATTERN, 'must be a method name such as eth_call'), int(1))
    // Null prototype: a client-sent method name such as "constructor" must not find Object.prototype members.
    .transform((r): Record<string, number> => Object.assign(Object.create(null) as Record<string, number>, r))
    .default(() => Object.create(null) as Record<string, number>),
  /** Circuit breaker settings for every channel of this chain. */
  breaker: BreakerSchema.prefault({}),
  /** Hedged requests for replay-safe reads. */
  hedging: HedgingSchema.prefault({}),
  /** Per-(provider, method) attempt timeouts learned from latency. */
  adaptiveTimeouts: AdaptiveTimeoutsSchema.prefault({}),
  /** Sharing of identical in-flight reads. */
  coalescing: CoalescingSchema.prefault({}),
  /** The response cache. */
  cache: CacheSchema.prefault({}),
  /** Subscription continuity: stall detection, failover, backfill, polling fallback. */
  subscriptions: SubscriptionsSchema.prefault({}),
  /** eth_getLogs over ranges wider than providers accept. */
  getLogs: GetLogsSchema.prefault({}),
  /** Upstreams; at least one. */
  providers: z
    .array(ProviderSchema)
    .min(1, 'at least one provider is required')
    .transform((list) => list.map((p, i) => ({ ...p, priority: p.priority ?? i }))),
});

export const ChainSchema = z.preprocess(applyChainPreset, ChainObjectSchema);

export const LassoConfigSchema = z.strictObject({
  server: ServerSchema.prefault({}),
  logging: LoggingSchema.prefault({}),
  /** State shared between replicas (Redis). */
  sharedState: SharedStateSchema.prefault({}),
  limits: LimitsSchema.prefault({}),
  /** Filters emulated by Lasso. */
  filters: FiltersSchema.prefault({}),
  /** Chains by name (the name is the URL segment: /rpc/:chain). At least one. */
  chains: z.record(z.string(), ChainSchema),
});

/** Alias of LassoConfigSchema (camelCase value name used across the codebase). */
export const lassoConfigSchema = LassoConfigSchema;

/** The whole parsed config, every default applied. */
export type LassoConfig = z.output<typeof LassoConfigSchema>;
export type ServerConfig = LassoConfig['server'];
export type WebSocketConfig = ServerConfig['websocket'];
export type LoggingConfig = LassoConfig['logging'];
export type AuthConfig = z.output<typeof AuthSchema>;
export type ApiKeyConfig = AuthConfig['keys'][number];
export type RateLimitConfig = z.output<typeof RateLimitSchema>;
export type MethodRulesConfig = z.output<typeof MethodRulesSchema>;
export type CorsConfig = ServerConfig['cors'];
export type SharedStateConfig = LassoConfig['sharedState'];
export type FiltersConfig = LassoConfig['filters'];
export type RedisConfig = NonNullable<SharedStateConfig['redis']>;
export type LogLevel = LoggingConfig['level'];
export type ChainConfig = z.output<typeof ChainSchema>;
export type BreakerConfig = ChainConfig['breaker'];
export type SubscriptionsConfig = ChainConfig['subscriptions'];
export type UpstreamWsConfig = SubscriptionsConfig['upstream'];
export type ProviderConfig = ChainConfig['providers'][number];

/** Known keys per object kind, for "did you mean" hints on unknown keys. */
export const KNOWN_KEYS = {
  root: Object.keys(LassoConfigSchema.shape),
  server: Object.keys(ServerSchema.shape),
  limits: Object.keys(LimitsSchema.shape),
  filters: Object.keys(FiltersSchema.shape),
  logging: Object.keys(LoggingSchema.shape),
  auth: Object.keys(AuthSchema.shape),
  apiKey: Object.keys(ApiKeySchema.shape),
  cors: Object.keys(CorsSchema.shape),
  sharedState: Object.keys(SharedStateSchema.shape),
  chain: Object.keys(ChainObjectSchema.shape),
  breaker: Object.keys(BreakerSchema.shape),
  getLogs: Object.keys(GetLogsSchema.shape),
  cache: Object.keys(CacheSchema.shape),
  provider: Object.keys(ProviderSchema.shape),
} as const;
