/**
 * Lasso's front door: who may call (client keys, anonymous clients by IP), which chains and methods
 * they may use, how fast (rate limits with per-method costs), from which browser origins, and who
 * may see the admin surface. The HTTP and WebSocket fronts ask it at two points: `admit` when a
 * request (or WebSocket upgrade) arrives, `charge` once its JSON-RPC items are known.
 *
 * `reload` swaps the whole policy at once; requests already admitted finish under the old one.
 */
import type { IncomingMessage } from 'node:http';
import type { AuthConfig, CorsConfig, RateLimitConfig } from '../config/index.js';
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import type { ParsedItem } from '../jsonrpc/parse.js';
import type { FrontDoorMetrics, FrontDoorRejection } from '../observability/front-door-metrics.js';
import { clientIpResolver } from './client-ip.js';
import type { ClientIpResolver } from './client-ip.js';
import { CorsPolicy } from './cors.js';
import { presentedKey } from './credentials.js';
import { KeyTable } from './key-table.js';
import { methodCostTable, methodRulesMatcher } from './method-rules.js';
import type { MethodMatcher } from './method-rules.js';
import type { Limiter, RateLimits } from './rate-limit.js';

export interface FrontDoorConfig {
  /** Absent: Lasso is open (no keys, no limits, open admin surface). */
  auth: AuthConfig | undefined;
  cors: CorsConfig;
}

export type ClientTransport = 'http' | 'ws';

/** An admitted caller. */
export interface Client {
  /** Metric and log label: the key id, or `anonymous`. */
  readonly label: string;
  /** The key's id; undefined for anonymous clients. */
  readonly keyId: string | undefined;
  /** The policy version the client was admitted under (a reload makes a new one). */
  readonly generation: number;
  /** Origins this client's key adds to the global CORS list. */
  readonly allowedOrigins: readonly string[];
  readonly limited: boolean;
  /** Limiter subject: `key:<id>` or `ip:<address>`. */
  readonly subject: string;
  readonly limiter: Limiter | undefined;
  readonly allowsMethod: MethodMatcher;
  readonly describeLimit: string;
  readonly allowsChain: (chain: { name: string; chainId: number }) => boolean;
}

export type Admission =
  | { ok: true; client: Client }
  | { ok: false; status: 401 | 403; error: RpcError; reason: FrontDoorRejection };

/**
 * What `charge` decided for each item of a payload. Undefined entries go ahead; `limitedOnly` is
 * true when every item with a method was refused by the rate limit (HTTP then answers 429).
 */
export interface ChargeResult {
  refusals: ReadonlyArray<RpcError | undefined>;
  limitedOnly: boolean;
  retryAfterMs: number | undefined;
}

export interface FrontDoorDeps {
  limits: RateLimits;
  metrics: FrontDoorMetrics;
}

const ANONYMOUS = 'anonymous';
const everyMethod: MethodMatcher = () => true;
const everyChain = (): boolean => true;

/**
 * Who a request comes from, for state Lasso keeps per client (filters): the key's limiter subject,
 * else the client's address (the socket's own when Lasso runs open, without an auth policy).
 */
export function clientIdentity(client: Client, req: IncomingMessage): string {
  return client.subject !== '' ? client.subject : `ip:${req.socket.remoteAddress ?? 'unknown'}`;
}

const OPEN_CLIENT: Client = {
  label: ANONYMOUS,
  keyId: undefined,
  generation: -1,
  allowedOrigins: [],
  limited: false,
  subject: '',
  limiter: undefined,
  allowsMethod: everyMethod,
  describeLimit: '',
  allowsChain: everyChain,
};

interface Policy {
  generation: number;
  auth: AuthConfig | undefined;
  byId: ReadonlyMap<string, Client>;
  keys: KeyTable<Client>;
  admin: KeyTable<true> | undefined;
  anonymousLimiter: Limiter | undefined;
  anonymousLimit: string;
  clientIp: ClientIpResolver;
  cost: (method: string) => number;
  cors: CorsPolicy;
}

export class FrontDoor {
  private policy: Policy;
  private generation = 0;

  constructor(
    config: FrontDoorConfig,
    private readonly deps: FrontDoorDeps,
  ) {
    this.policy = this.build(config);
  }

  /** Applies a new config to requests that arrive from now on. */
  reload(config: FrontDoorConfig): void {
    this.policy = this.build(config);
  }

  get cors(): CorsPolicy {
    return this.policy.cors;
  }

  /** Who is calling, and may they use `chain`. */
  admit(req: IncomingMessage, chain: { name: string; chainId: number }, transport: ClientTransport): Admission {
    const policy = this.policy;
    if (policy.auth === undefined) return { ok: true, client: OPEN_CLIENT };
    const presented = presentedKey(req.headers, req.url ?? '/');
    let client: Client;
    if (presented !== undefined) {
      const known = policy.keys.find(presented);
      if (known === undefined) return this.refuse(401, 'bad_key', 'unknown', transport, 'invalid API key');
      client = known;
    } else {
      if (!policy.auth.anonymous) {
        return this.refuse(401, 'no_key', ANONYMOUS, transport, 'API key required: send it as "Authorization: Bearer <key>", an "x-lasso-key" header or ?key=<key>');
      }
      client = anonymousClient(policy, `ip:${policy.clientIp(req)}`);
    }
    if (!client.allowsChain(chain)) {
      return this.refuse(403, 'chain_denied', client.label, transport, `key "${client.label}" may not use chain ${chain.name}`);
    }
    return { ok: true, client };
  }

  /**
   * Method rules and rate limits for the items of one payload (`undefined` marks an item without a
   * method, e.g. an invalid one). Items count one each, times their method's cost; once one is over
   * the limit, the items after it are refused too without drawing more from the limit.
   * Returns undefined when every item may go ahead.
   */
  async charge(admitted: Client, methods: ReadonlyArray<string | undefined>, transport: ClientTransport): Promise<ChargeResult | undefined> {
    const policy = this.policy;
    // A WebSocket client admitted before a reload is held to the reloaded rules; a removed key stops working.
    const client = admitted.generation === policy.generation ? admitted : this.readmit(admitted, policy);
    if (client === undefined) {
      const revoked = new RpcError(RpcErrorCode.InvalidRequest, `key "${admitted.label}" is no longer accepted`);
      for (const m of methods) if (m !== undefined) this.count('bad_key', admitted.label, transport);
      return { refusals: methods.map(() => revoked), limitedOnly: false, retryAfterMs: undefined };
    }
    if (!client.limited && client.allowsMethod === everyMethod) return undefined;
    const refusals: Array<RpcError | undefined> = new Array(methods.length);
    let limitRefusal: RpcError | undefined;
    let limitReason: 'rate_limited' | 'limiter_unavailable' = 'rate_limited';
    let retryAfterMs: number | undefined;
    let refusedAny = false;
    let allowedAny = false;
    let otherRefusals = false;
    for (let i = 0; i < methods.length; i++) {
      const method = methods[i];
      if (method === undefined) continue;
      if (!client.allowsMethod(method)) {
        refusals[i] = new RpcError(RpcErrorCode.MethodNotFound, `method ${method} is not allowed for key "${client.label}"`);
        this.count('method_denied', client.label, transport);
        refusedAny = otherRefusals = true;
        continue;
      }
      if (client.limiter !== undefined && limitRefusal === undefined) {
        const verdict = await client.limiter.consume(client.subject, policy.cost(method));
        if (!verdict.ok) {
          retryAfterMs = Math.max(1, Math.ceil(verdict.retryAfterMs));
          limitRefusal =
            verdict.reason === 'rate_limited'
              ? new RpcError(RpcErrorCode.RateLimited, `rate limit exceeded for ${describeClient(client)} (${client.describeLimit}); retry in ${retryAfterMs} ms`, { retryAfterMs })
              : new RpcError(RpcErrorCode.RateLimited, 'rate limiter unavailable (shared state unreachable); retry shortly', { retryAfterMs });
          limitReason = verdict.reason;
        }
      }
      if (limitRefusal !== undefined) {
        refusals[i] = limitRefusal;
        this.count(limitReason, client.label, transport);
        refusedAny = true;
      } else {
        allowedAny = true;
      }
    }
    if (!refusedAny) return undefined;
    return { refusals, limitedOnly: !allowedAny && !otherRefusals, retryAfterMs };
  }

  /**
   * True when `charge` would let every item go ahead, whatever its method (no rate limit, no
   * method rules): the caller may skip it, and the wait on it, on the hot path.
   */
  refusesNothing(admitted: Client): boolean {
    const policy = this.policy;
    const current = admitted.generation === policy.generation || (admitted === OPEN_CLIENT && policy.auth === undefined);
    return current && !admitted.limited && admitted.allowsMethod === everyMethod;
  }

  /** True when the request may see the admin surface (always, when no admin key is configured). */
  isAdmin(req: IncomingMessage): boolean {
    const admin = this.policy.admin;
    if (admin === undefined) return true;
    const presented = presentedKey(req.headers, req.url ?? '/');
    const ok = presented !== undefined && admin.find(presented) === true;
    if (!ok) this.count('admin_key', presented === undefined ? ANONYMOUS : 'unknown', 'http');
    return ok;
  }

  private readmit(client: Client, policy: Policy): Client | undefined {
    if (policy.auth === undefined) return OPEN_CLIENT;
    if (client.keyId !== undefined) return policy.byId.get(client.keyId);
    return policy.auth.anonymous ? anonymousClient(policy, client.subject) : undefined;
  }

  private refuse(status: 401 | 403, reason: FrontDoorRejection, label: string, transport: ClientTransport, message: string): Admission {
    this.count(reason, label, transport);
    return { ok: false, status, reason, error: new RpcError(RpcErrorCode.InvalidRequest, message) };
  }

  private count(reason: FrontDoorRejection, key: string, transport: ClientTransport): void {
    this.deps.metrics.rejections.inc({ reason, key, transport });
  }

  private build(config: FrontDoorConfig): Policy {
    const { auth } = config;
    const keys = auth?.keys ?? [];
    const cost = methodCostTable(auth?.methodCosts ?? {});
    const limiter = (limit: RateLimitConfig | undefined): Limiter | undefined => (limit === undefined ? undefined : this.deps.limits.limiter(limit));
    const generation = ++this.generation;
    const entries = keys.map((k) => {
      const chains = k.chains === undefined ? undefined : new Set(k.chains);
      return {
        secret: k.key,
        value: {
          label: k.id,
          keyId: k.id,
          generation,
          allowedOrigins: k.allowedOrigins ?? [],
          limited: k.rateLimit !== undefined,
          subject: `key:${k.id}`,
          limiter: limiter(k.rateLimit),
          allowsMethod: k.methods === undefined ? everyMethod : methodRulesMatcher(k.methods),
          describeLimit: describeLimit(k.rateLimit),
          allowsChain: chains === undefined ? everyChain : (c: { name: string; chainId: number }) => chains.has(c.name) || chains.has(String(c.chainId)),
        } satisfies Client,
      };
    });
    return {
      generation,
      auth,
      keys: new KeyTable(entries),
      byId: new Map(entries.map((e) => [e.value.label, e.value])),
      admin: auth?.adminKey === undefined ? undefined : new KeyTable([{ secret: auth.adminKey, value: true as const }]),
      anonymousLimiter: limiter(auth?.anonymousRateLimit),
      anonymousLimit: describeLimit(auth?.anonymousRateLimit),
      clientIp: clientIpResolver(auth?.trustedProxies ?? []),
      cost,
      cors: new CorsPolicy(config.cors, keys.map((k) => k.allowedOrigins ?? [])),
    };
  }
}

/** The method of each item, as `charge` takes them (undefined for an invalid item). */
export function itemMethods(items: readonly ParsedItem[]): Array<string | undefined> {
  return items.map((item) => (item.kind === 'request' ? item.request.method : undefined));
}

function anonymousClient(policy: Policy, subject: string): Client {
  return {
    ...OPEN_CLIENT,
    generation: policy.generation,
    limited: policy.anonymousLimiter !== undefined,
    subject,
    limiter: policy.anonymousLimiter,
    describeLimit: policy.anonymousLimit,
  };
}

function describeLimit(limit: RateLimitConfig | undefined): string {
  if (limit === undefined) return 'unlimited';
  return limit.burst > limit.requestsPerSecond ? `${limit.requestsPerSecond} requests/s, burst ${limit.burst}` : `${limit.requestsPerSecond} requests/s`;
}

function describeClient(client: Client): string {
  return client.subject.startsWith('ip:') ? 'anonymous clients of this address' : `key "${client.label}"`;
}
