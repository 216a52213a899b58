/**
 * The config file's shape (zod 4), with every default. Types below are the parsed output, i.e.
 * with all defaults applied. Cross-field rules (duplicate ids, duplicate chainIds, name syntax)
 * live in ./checks.ts so that they are reported even when other fields are invalid.
 */
import { z } from 'zod';

/** Chain names and provider ids: used in URLs, metric labels and logs. */
export const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
const METHOD_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

export const STRATEGY_NAMES = ['fastest', 'latency-weighted', 'load-balanced', 'round-robin', 'priority'] as const;
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
});

export const LoggingSchema = z.strictObject({
  /** pino level. @default 'info' */
  level: z
    .enum(LOG_LEVELS, { error: (iss) => `unknown log level ${JSON.stringify(iss.input)}; expected one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
});

export const BreakerSchema = z.strictObject({
  /** Consecutive timeouts that open the breaker. @default 2 */
  timeoutThreshold: int(1).default(2),
  /** Consecutive network failures (refused, reset) that open the breaker. @default 3 */
  networkThreshold: int(1).default(3),
  /** Consecutive other provider failures (5xx, -32603, garbage) that open the breaker. @default 5 */
  otherThreshold: int(1).default(5),
  /** First open -> half-open delay, in ms; doubled on each reopen. @default 10000 */
  recoveryMs: int(1).default(10_000),
  /** Cap of the doubled recovery delay, in ms. @default 300000 */
  maxRecoveryMs: int(1).default(300_000),
  /** Successful half-open probes needed to close. @default 2 */
  successesToClose: int(1).default(2),
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
  /** Serves full history (old state, old traces). @default false */
  archive: bool.default(false),
  /** Most requests in flight to this provider at once. @default 64 */
  maxConcurrent: int(1).default(64),
});

export const ChainSchema = z.strictObject({
  /** EIP-155 chain id; unique across chains. */
  chainId: int(1),
  /** Strategy when the request URL names none. @default 'latency-weighted' */
  defaultStrategy: StrategyNameSchema.default('latency-weighted'),
  /** Providers further behind the chain head than this are moved out of the way. @default 3 */
  maxLagBlocks: int(0).default(3),
  /** How often each provider's head is polled, in ms. @default 2000 */
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
  /** Upstreams; at least one. */
  providers: z
    .array(ProviderSchema)
    .min(1, 'at least one provider is required')
    .transform((list) => list.map((p, i) => ({ ...p, priority: p.priority ?? i }))),
});

export const LassoConfigSchema = z.strictObject({
  server: ServerSchema.prefault({}),
  logging: LoggingSchema.prefault({}),
  /** Chains by name (the name is the URL segment: /rpc/:chain). At least one. */
  chains: z.record(z.string(), ChainSchema),
});

/** Alias of LassoConfigSchema (camelCase value name used across the codebase). */
export const lassoConfigSchema = LassoConfigSchema;

/** The whole parsed config, every default applied. */
export type LassoConfig = z.output<typeof LassoConfigSchema>;
export type ServerConfig = LassoConfig['server'];
export type LoggingConfig = LassoConfig['logging'];
export type LogLevel = LoggingConfig['level'];
export type ChainConfig = z.output<typeof ChainSchema>;
export type BreakerConfig = ChainConfig['breaker'];
export type ProviderConfig = ChainConfig['providers'][number];
export type StrategyName = z.output<typeof StrategyNameSchema>;

/** Known keys per object kind, for "did you mean" hints on unknown keys. */
export const KNOWN_KEYS = {
  root: Object.keys(LassoConfigSchema.shape),
  server: Object.keys(ServerSchema.shape),
  logging: Object.keys(LoggingSchema.shape),
  chain: Object.keys(ChainSchema.shape),
  breaker: Object.keys(BreakerSchema.shape),
  provider: Object.keys(ProviderSchema.shape),
} as const;
