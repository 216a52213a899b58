import type { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { CacheMetrics } from '../observability/cache-metrics.js';
import { metricMethodLabel } from '../observability/method-label.js';
import type { ChainView } from '../providers/chain-view.js';
import type { SharedRedis } from '../shared-state/shared-redis.js';
import { bodyBytes, ENTRY_OVERHEAD_BYTES } from './entry.js';
import type { CacheEntry, CachedBody } from './entry.js';
import { cacheKey } from './key.js';
import { MemoryStore } from './memory-store.js';
import type { CacheOptions, MethodCacheOptions } from './options.js';
import { ownedResult } from './owned-result.js';
import { BLOCK_ANSWERS, finalityOf, isCacheableRequest } from './policy.js';
import type { AnswerFacts, CacheTarget, Finality } from './policy.js';
import { RedisTier } from './redis-tier.js';

/** A read as the cache sees it: tags already replaced by the numbers they mean. */
export interface CacheRequest {
  method: string;
  params: unknown;
  target: CacheTarget;
}

/** An answer the cache can keep (the pipeline's routed response has this shape). */
export interface CacheableAnswer {
  body: CachedBody;
  /** success: a result; rpc_error: an error answer; anything else is never kept. */
  outcome: string;
  /** How the upstream's error answer was classified: only a deterministic one (a revert) may be kept. */
  failure?: { errorClass: string; cancelled?: true };
  /** Set by the cache on answers it looked up: served from it, or not. */
  cache?: 'hit' | 'miss';
}

/** What a chain's cache reads of its chain (a ChainRuntime is one). */
export interface CacheChain {
  readonly name: string;
  readonly chainId: number;
  readonly view: Pick<ChainView, 'answerHead' | 'finalized' | 'hashAt' | 'onReorg'>;
  readonly now: () => number;
}

export interface ChainCacheDeps {
  metrics: CacheMetrics;
  /** Final answers are shared through it with every replica. */
  redis?: SharedRedis;
}

const NO_METHOD_OPTIONS: MethodCacheOptions = {};

/**
 * One chain's response cache: memory first (every answer the finality policy allows), then Redis
 * (final answers only) when configured. Unfinalized entries are dropped as soon as the chain view
 * sees a reorg, and never served while the view's hash at their height differs from theirs.
 */
export class ChainCache {
  private readonly memory: MemoryStore;
  private readonly redis: RedisTier | undefined;
  private readonly stopReorgs: () => void;
  /** Reorgs seen so far: an answer fetched across one is not kept unless final. */
  private reorgs = 0;

  constructor(
    private readonly chain: CacheChain,
    private readonly options: CacheOptions,
    private readonly deps: ChainCacheDeps,
  ) {
    const budgets = new Map<string, number>();
    for (const [method, o] of Object.entries(options.methods)) if (o.maxBytes !== undefined) budgets.set(method, o.maxBytes);
    const { metrics } = deps;
    const labels = (entry: CacheEntry): { chain: string; method: string } => ({ chain: chain.name, method: entry.methodLabel });
    this.memory = new MemoryStore({
      maxBytes: options.maxBytes,
      methodBudgets: budgets,
      now: chain.now,
      onAdd: (entry) => {
        metrics.bytes.inc(labels(entry), entry.bytes);
        metrics.entries.inc(labels(entry));
      },
      onRemove: (entry, reason) => {
        metrics.bytes.dec(labels(entry), entry.bytes);
        metrics.entries.dec(labels(entry));
        if (reason === 'evict') metrics.evictions.inc(labels(entry));
        if (reason === 'reorg') metrics.reorgInvalidations.inc(labels(entry));
      },
    });
    this.redis = deps.redis && new RedisTier(deps.redis, String(chain.chainId));
    // Every unfinalized entry goes, not only those at or above the reported height: the view learns
    // a new branch from the blocks it is shown, often from the top down, so the first height it
    // reports can be above the real fork point. Unfinalized entries live seconds: little is lost.
    this.stopReorgs = chain.view.onReorg(() => {
      this.reorgs++;
      this.memory.dropUnfinalized();
    });
  }

  /** Entries and bytes held in memory. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.memory.entries, bytes: this.memory.bytes };
  }

  /** Whether this request is one the cache may answer or keep (enabled, a cacheable method, nothing pending). */
  accepts(request: CacheRequest): boolean {
    return this.options.enabled && this.methodOptions(request.method).enabled !== false && isCacheableRequest(request.method, request.params, request.target);
  }

  /**
   * Answers from the cache when it can, else asks `upstream` and keeps its answer when the
   * finality policy allows. Answers that went through the lookup carry `cache: 'hit' | 'miss'`.
   */
  async readThrough<R extends CacheableAnswer>(request: CacheRequest, upstream: () => Promise<R>, fromCache: (body: CachedBody) => R): Promise<R> {
    if (!this.accepts(request)) return upstream();
    const key = cacheKey(request.method, request.params);
    const found = await this.find(request, key);
    if (found !== undefined) return { ...fromCache(found), cache: 'hit' };
    const reorgsBefore = this.reorgs;
    const answer = await upstream();
    this.keep(request, key, answer, reorgsBefore);
    return { ...answer, cache: 'miss' };
  }

  /**
   * A cached answer to this request, from memory or else (for what may be final) from Redis;
   * undefined when there is none. For callers that fetch by other means (the eth_getLogs engine's
   * sub-ranges): pair with `store`.
   */
  async lookup(request: CacheRequest): Promise<CachedBody | undefined> {
    return this.accepts(request) ? this.find(request, cacheKey(request.method, request.params)) : undefined;
  }

  /**
   * Keeps an answer to this request if the finality policy allows. `reorgsBefore` (from
   * `reorgCount` when the request was sent) keeps an unfinalized answer out when a reorg happened
   * while it was on its way.
   */
  store(request: CacheRequest, answer: CacheableAnswer, reorgsBefore = this.reorgs): void {
    if (this.accepts(request)) this.keep(request, cacheKey(request.method, request.params), answer, reorgsBefore);
  }

  /** Reorgs seen so far (see `store`). */
  get reorgCount(): number {
    return this.reorgs;
  }

  close(): void {
    this.stopReorgs();
    this.memory.clear();
  }

  private async find(request: CacheRequest, key: string): Promise<CachedBody | undefined> {
    const method = metricMethodLabel(request.method);
    const entry = this.memory.get(request.method, key, (n) => this.chain.view.hashAt(n));
    if (entry !== undefined) {
      this.deps.metrics.hits.inc({ chain: this.chain.name, method, tier: 'memory' });
      return entry.body;
    }
    if (this.redis !== undefined && this.mayBeFinal(request.target)) {
      const result = await this.redis.get(key);
      if (result !== undefined) {
        this.deps.metrics.hits.inc({ chain: this.chain.name, method, tier: 'redis' });
        this.remember(request.method, key, { result }, { kind: 'final' });
        return { result };
      }
    }
    this.deps.metrics.misses.inc({ chain: this.chain.name, method });
    return undefined;
  }

  /** Redis holds final answers only: a read of a block above the finalized one cannot be there. */
  private mayBeFinal(target: CacheTarget): boolean {
    if (target.kind !== 'number') return true;
    const finalized = this.chain.view.finalized();
    return finalized !== undefined && target.number <= finalized;
  }

  private keep(request: CacheRequest, key: string, answer: CacheableAnswer, reorgsBefore: number): void {
    const facts = factsOf(request.method, answer);
    if (facts === undefined) return;
    const { view } = this.chain;
    const finality = finalityOf({
      ...request,
      answer: facts,
      view: { head: view.answerHead(), finalized: view.finalized(), hashAt: (n) => view.hashAt(n) },
      unfinalizedTtlMs: this.methodOptions(request.method).ttlMs ?? this.options.unfinalizedTtlMs,
    });
    if (finality.kind === 'never' || (finality.kind === 'unfinalized' && this.reorgs !== reorgsBefore)) return;
    const body: CachedBody = 'result' in answer.body ? { result: ownedResult(answer.body.result) } : answer.body;
    this.remember(request.method, key, body, finality);
    if (finality.kind === 'final' && 'result' in body) this.redis?.put(key, body.result, this.methodOptions(request.method).ttlMs);
  }

  private remember(method: string, key: string, body: CachedBody, finality: Exclude<Finality, { kind: 'never' }>): void {
    const ttlMs = finality.kind === 'final' ? this.methodOptions(method).ttlMs : finality.ttlMs;
    this.memory.set(method, key, {
      body,
      methodLabel: metricMethodLabel(method),
      bytes: bodyBytes(body) + Buffer.byteLength(key) + ENTRY_OVERHEAD_BYTES,
      expiresAt: ttlMs === undefined ? undefined : this.chain.now() + ttlMs,
      ...(finality.kind === 'unfinalized' && { unfinalized: { number: finality.number, hash: finality.hash } }),
    });
  }

  private methodOptions(method: string): MethodCacheOptions {
    return Object.hasOwn(this.options.methods, method) ? (this.options.methods[method] as MethodCacheOptions) : NO_METHOD_OPTIONS;
  }
}

/** The facts the policy needs, read off the answer's bytes (parsed only for transactions and receipts, which are small). */
function factsOf(method: string, answer: CacheableAnswer): AnswerFacts | undefined {
  const { body } = answer;
  if ('error' in body) {
    const deterministic = answer.failure?.errorClass === 'deterministic' && answer.failure.cancelled !== true;
    return answer.outcome === 'rpc_error' ? { kind: 'error', deterministic } : undefined;
  }
  if (answer.outcome !== 'success') return undefined;
  const result: ResultBytes = body.result;
  const facts: AnswerFacts = { kind: 'result', isNull: result.isNull, isEmpty: result.isEmptyArray };
  if (result.isNull) return facts;
  let numberHex: unknown;
  let hash: unknown;
  if (BLOCK_ANSWERS.has(method)) {
    numberHex = result.blockNumber();
    hash = result.blockHash();
  } else if (method === 'eth_getTransactionByHash' || method === 'eth_getTransactionReceipt') {
    const value = result.value() as { blockNumber?: unknown; blockHash?: unknown } | null;
    numberHex = value?.blockNumber;
    hash = value?.blockHash;
  }
  if (typeof numberHex !== 'string') return facts;
  const number = Number.parseInt(numberHex, 16);
  if (!Number.isSafeInteger(number)) return facts;
  return { ...facts, blockNumber: number, ...(typeof hash === 'string' && { blockHash: hash }) };
}
