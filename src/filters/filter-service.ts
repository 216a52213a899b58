/**
 * Filters emulated by Lasso: eth_newBlockFilter, eth_newFilter, eth_newPendingTransactionFilter,
 * eth_getFilterChanges, eth_getFilterLogs and eth_uninstallFilter answered from Lasso's own view
 * of the chain, never by one upstream's filter, so a filter survives any provider's failure.
 *
 * A filter is its criteria plus a cursor (see cursor.ts). Each eth_getFilterChanges moves the
 * cursor from the last delivered block to the chain view's head over the canonical chain, read
 * through the normal request path (failover, breakers): block filters return the hashes of the
 * new canonical blocks (after a reorg, those of the new branch); log filters return the logs of
 * orphaned blocks again with `removed: true`, as geth does, then the logs of the new blocks.
 */
import { randomBytes } from 'node:crypto';
import { redactUrlsInText } from '../config/index.js';
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { ResultBytes } from '../jsonrpc/result-bytes.js';
import type { FilterMetrics } from '../observability/filter-metrics.js';
import { executeRequest } from '../pipeline/execute.js';
import type { ExecuteDeps, FilterHandler, RouteOptions, RoutedResponse } from '../pipeline/types.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { SharedRedis } from '../shared-state/shared-redis.js';
import { PipelineReader } from '../subscriptions/chain-reader.js';
import { capRememberedLogs, nextWindow, stepCursor } from './cursor.js';
import { DEFAULT_FILTER_IDLE_TIMEOUT_MS, DEFAULT_FILTER_MAX_PER_CLIENT } from './defaults.js';
import type { BlockLink, CanonicalSource, DeliveredBlock } from './cursor.js';
import type { FilterKind, FilterRecord, FilterStore } from './filter-record.js';
import { blockHashFilter, criteriaMatch, getLogsFilter, parseLogCriteria, rangeFilter, wantsLogsOf } from './log-criteria.js';
import type { LogCriteria } from './log-criteria.js';
import { MemoryFilterStore } from './memory-filter-store.js';
import { RedisFilterStore } from './redis-filter-store.js';

export interface FilterServiceOptions {
  /** A filter not polled for this long is removed, in ms (geth: 5 minutes). @default 300000 */
  idleTimeoutMs?: number;
  /** Most filters installed at once per API key (per client address without keys). @default 256 */
  maxPerClient?: number;
}

export interface FilterServiceDeps {
  /** Deps of the request pipeline: filters read blocks and logs through it. */
  execute: ExecuteDeps;
  metrics: FilterMetrics;
  /** When set, filters are kept in Redis so that every replica can answer them. */
  redis?: SharedRedis;
  /** @default "0x" + 16 random bytes as a quantity */
  newId?: () => string;
  now?: () => number;
}

/** Delivered blocks a cursor remembers: the deepest reorg a filter reports exactly. */
const RECENT_BLOCKS = 64;
/** Most delivered logs a log filter remembers (to re-send them with `removed: true` after a reorg): bounds its state. */
const MAX_REMEMBERED_LOGS = 2_000;
/** Most blocks one eth_getFilterChanges moves forward (the rest come with the next poll). */
const MAX_BLOCKS_PER_POLL = 256;
/** Block reads in flight at once for one poll. */
const READ_CONCURRENCY = 8;
/** How long a filter created at start waits for the chain view's first head, in ms. */
const FIRST_HEAD_WAIT_MS = 2_000;

const NOT_FOUND = new RpcError(RpcErrorCode.ServerError, 'filter not found');
const ID = /^0x[0-9a-fA-F]{1,64}$/;

export class FilterService implements FilterHandler {
  private readonly store: FilterStore;
  private readonly maxPerClient: number;
  private readonly newId: () => string;
  /** Polls of one filter run one after another in this process (across replicas, `save` refuses the later of two). */
  private readonly polling = new Map<string, Promise<unknown>>();
  private readonly readers = new WeakMap<ChainRuntime, PipelineReader>();

  constructor(
    options: FilterServiceOptions,
    private readonly deps: FilterServiceDeps,
  ) {
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_FILTER_IDLE_TIMEOUT_MS;
    this.maxPerClient = options.maxPerClient ?? DEFAULT_FILTER_MAX_PER_CLIENT;
    this.newId = deps.newId ?? (() => `0x${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(16)}`);
    const onExpired = ({ chain, kind }: { chain: string; kind: FilterKind }): void => {
      deps.metrics.expired.inc({ chain, kind });
      deps.metrics.installed.dec({ chain, kind });
    };
    this.store = deps.redis
      ? new RedisFilterStore(deps.redis, { idleTimeoutMs, onExpired, ...(deps.now && { now: deps.now }) })
      : new MemoryFilterStore({ idleTimeoutMs, onExpired, ...(deps.now && { now: deps.now }) });
  }

  async answer(chain: ChainRuntime, method: string, params: unknown, route: RouteOptions): Promise<RoutedResponse> {
    try {
      return await this.run(chain, method, params, route);
    } catch (err) {
      if (err instanceof RpcError) return { body: { error: err.toObject() }, providerId: undefined, attempts: 0, outcome: 'rpc_error', hedged: false };
      this.deps.execute.logger.warn({ chain: chain.name, method, err: redactUrlsInText(err instanceof Error ? err.message : String(err)) }, 'filter request failed');
      const error = new RpcError(RpcErrorCode.ServerError, `${method} failed: filter state unavailable; retry`);
      return { body: { error: error.toObject() }, providerId: undefined, attempts: 0, outcome: 'failed', hedged: false };
    }
  }

  close(): void {
    this.store.close();
  }

  private async run(chain: ChainRuntime, method: string, params: unknown, route: RouteOptions): Promise<RoutedResponse> {
    switch (method) {
      case 'eth_newBlockFilter':
        noParams(method, params);
        return answered(await this.install(chain, route, 'blocks', undefined));
      case 'eth_newPendingTransactionFilter':
        return answered(await this.install(chain, route, 'pending', undefined));
      case 'eth_newFilter':
        return answered(await this.install(chain, route, 'logs', parseLogCriteria(params)));
      case 'eth_getFilterChanges': {
        const id = filterId(method, params);
        return answered(await this.serialized(id, () => this.changes(chain, id, route)));
      }
      case 'eth_getFilterLogs':
        return this.filterLogs(chain, filterId(method, params), route);
      case 'eth_uninstallFilter':
        return answered(await this.uninstall(chain, filterId(method, params)));
      default:
        throw new RpcError(RpcErrorCode.MethodNotFound, `method ${method} is not supported`);
    }
  }

  private async install(chain: ChainRuntime, route: RouteOptions, kind: FilterKind, criteria: LogCriteria | undefined): Promise<string> {
    const window = kind === 'pending' ? [] : [await this.anchor(chain, route)];
    const record: FilterRecord = { id: this.newId(), chain: chain.name, owner: route.client ?? 'anonymous', kind, window, ...(criteria && { criteria }) };
    if (!(await this.store.create(record, this.maxPerClient))) {
      throw new RpcError(
        RpcErrorCode.ServerError,
        `too many filters installed for this client (limit ${this.maxPerClient}): remove some with eth_uninstallFilter or let idle ones expire`,
        { limit: 'filters.maxPerClient', max: this.maxPerClient },
      );
    }
    this.deps.metrics.created.inc({ chain: chain.name, kind });
    this.deps.metrics.installed.inc({ chain: chain.name, kind });
    return record.id;
  }

  /** The block a new filter starts after: the chain view's head. */
  private async anchor(chain: ChainRuntime, route: RouteOptions): Promise<DeliveredBlock> {
    const { view } = chain;
    if (view.answerHead() === undefined) await view.firstHead(Math.min(FIRST_HEAD_WAIT_MS, route.deadline - chain.now()));
    const head = view.answerHead();
    const known = head === undefined ? undefined : view.hashAt(head);
    if (head !== undefined && known !== undefined) return { number: head, hash: known };
    const block = await this.reader(chain)
      .blockByNumber(head ?? 'latest')
      .catch(() => null);
    if (block === null) throw new RpcError(RpcErrorCode.ServerError, `no provider could give the head block of ${chain.name} to start the filter from; retry`);
    return { number: block.number, hash: block.hash };
  }

  private async changes(chain: ChainRuntime, id: string, route: RouteOptions): Promise<unknown[]> {
    const record = await this.store.touch(id);
    if (record === undefined || record.chain !== chain.name) throw NOT_FOUND;
    const head = chain.view.answerHead();
    if (record.kind === 'pending' || head === undefined) return [];
    const step = await stepCursor(record.window, head, this.source(chain), { maxBlocks: MAX_BLOCKS_PER_POLL, readConcurrency: READ_CONCURRENCY });
    let items: unknown[];
    let added: DeliveredBlock[];
    if (record.kind === 'blocks') {
      added = step.added.map(({ number, hash }) => ({ number, hash }));
      items = added.map((b) => b.hash);
    } else {
      const removed = step.orphaned.flatMap((b) => (b.logs ?? []).map((log) => ({ ...log, removed: true })));
      added = await this.logsOf(chain, record.criteria as LogCriteria, step.added, route.deadline);
      items = [...removed, ...added.flatMap((b) => b.logs ?? [])];
    }
    if (step.orphaned.length === 0 && added.length === 0) return items;
    // Another replica's poll of this filter moved it first: it delivered these changes.
    const window = capRememberedLogs(nextWindow(step.kept, added, RECENT_BLOCKS, chain.view.finalized()), MAX_REMEMBERED_LOGS);
    if (!(await this.store.save({ ...record, window }, record))) return [];
    if (items.length > 0) this.deps.metrics.changesServed.inc({ chain: chain.name, kind: record.kind }, items.length);
    return items;
  }

  /**
   * The new blocks with the logs matching the criteria. Blocks at or below `finalized` are read
   * with one eth_getLogs over their range; newer ones by block hash (EIP-234), so that a provider
   * still on another branch answers "unknown block" instead of that branch's logs. Cut before the
   * first block whose logs could not be read or name another hash (the next poll reads it again).
   */
  private async logsOf(chain: ChainRuntime, criteria: LogCriteria, blocks: readonly BlockLink[], deadline: number): Promise<DeliveredBlock[]> {
    const out: DeliveredBlock[] = blocks.map(({ number, hash }) => ({ number, hash, logs: [] }));
    const wanted = out.filter((b) => wantsLogsOf(criteria, b));
    const finalized = chain.view.finalized() ?? -1;
    const final = wanted.filter((b) => b.number <= finalized);
    const recent = wanted.filter((b) => b.number > finalized);
    const read = (filter: Record<string, unknown>): Promise<Record<string, unknown>[] | undefined> => this.getLogs(chain, filter, deadline);
    const failed = new Set<DeliveredBlock>();
    const fill = (targets: readonly DeliveredBlock[], logs: Record<string, unknown>[] | undefined): void => {
      if (logs === undefined) {
        for (const b of targets) failed.add(b);
        return;
      }
      for (const log of logs) {
        const number = typeof log.blockNumber === 'string' ? Number.parseInt(log.blockNumber, 16) : Number.NaN;
        const block = targets.find((b) => b.number === number);
        if (block === undefined) continue;
        if (typeof log.blockHash !== 'string' || log.blockHash.toLowerCase() !== block.hash) failed.add(block);
        else if (criteriaMatch(criteria, log)) block.logs?.push(log);
      }
    };
    const [first, last] = [final[0], final.at(-1)];
    if (first !== undefined && last !== undefined) fill(final, await read(rangeFilter(criteria, first.number, last.number)));
    for (let i = 0; i < recent.length; i += READ_CONCURRENCY) {
      const chunk = recent.slice(i, i + READ_CONCURRENCY);
      const answers = await Promise.all(chunk.map((b) => read(blockHashFilter(criteria, b.hash))));
      chunk.forEach((b, k) => fill([b], answers[k]));
    }
    const cut = out.findIndex((b) => failed.has(b));
    return cut === -1 ? out : out.slice(0, cut);
  }

  /** eth_getLogs through the normal request path; undefined when it failed. */
  private async getLogs(chain: ChainRuntime, filter: Record<string, unknown>, deadline: number): Promise<Record<string, unknown>[] | undefined> {
    const response = await executeRequest(chain, 'eth_getLogs', [filter], { strategy: chain.config.defaultStrategy, deadline }, 'http', this.deps.execute);
    if ('error' in response.body) return undefined;
    const logs = response.body.result.value();
    return Array.isArray(logs) ? (logs as Record<string, unknown>[]) : undefined;
  }

  private async filterLogs(chain: ChainRuntime, id: string, route: RouteOptions): Promise<RoutedResponse> {
    const record = await this.store.touch(id);
    if (record === undefined || record.chain !== chain.name || record.kind !== 'logs') throw NOT_FOUND;
    const inner = { strategy: route.strategy, deadline: route.deadline, ...(route.pinnedProviderId !== undefined && { pinnedProviderId: route.pinnedProviderId }) };
    return executeRequest(chain, 'eth_getLogs', [getLogsFilter(record.criteria as LogCriteria)], inner, 'http', this.deps.execute);
  }

  private async uninstall(chain: ChainRuntime, id: string): Promise<boolean> {
    // Another chain's filter is not this chain's to remove.
    if ((await this.store.touch(id))?.chain !== chain.name) return false;
    const record = await this.store.remove(id);
    if (record === undefined) return false;
    this.deps.metrics.uninstalled.inc({ chain: chain.name, kind: record.kind });
    this.deps.metrics.installed.dec({ chain: chain.name, kind: record.kind });
    return true;
  }

  private serialized<T>(id: string, run: () => Promise<T>): Promise<T> {
    const previous = this.polling.get(id) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => undefined);
    this.polling.set(id, settled);
    void settled.then(() => {
      if (this.polling.get(id) === settled) this.polling.delete(id);
    });
    return next;
  }

  private reader(chain: ChainRuntime): PipelineReader {
    let reader = this.readers.get(chain);
    if (reader === undefined) {
      reader = new PipelineReader(chain, this.deps.execute);
      this.readers.set(chain, reader);
    }
    return reader;
  }

  private source(chain: ChainRuntime): CanonicalSource {
    const reader = this.reader(chain);
    return {
      block: (number) => reader.blockByNumber(number),
      knownHash: (number) => chain.view.hashAt(number),
    };
  }
}

/** Lasso's own answer (no upstream served it). */
function answered(result: unknown): RoutedResponse {
  return { body: { result: ResultBytes.fromValue(result) }, providerId: undefined, attempts: 0, outcome: 'success', hedged: false };
}

function noParams(method: string, params: unknown): void {
  if (params !== undefined && !(Array.isArray(params) && params.length === 0)) throw new RpcError(RpcErrorCode.InvalidParams, `${method} takes no parameters`);
}

function filterId(method: string, params: unknown): string {
  const id: unknown = Array.isArray(params) ? params[0] : undefined;
  if (!Array.isArray(params) || params.length !== 1 || typeof id !== 'string' || !ID.test(id)) {
    throw new RpcError(RpcErrorCode.InvalidParams, `${method} expects params [filterId] (a hex id from eth_newFilter, eth_newBlockFilter or eth_newPendingTransactionFilter)`);
  }
  return id.toLowerCase();
}
