import type { ResultBytes } from '../jsonrpc/result-bytes.js';
import { chunksOf, spanOf } from './block-range.js';
import type { BlockRange } from './block-range.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { mergeLogs } from './merge-logs.js';
import { cutForFailure, cutForRefusal, widestAccepted } from './split-plan.js';
import type { Cut } from './split-plan.js';

export interface GetLogsOptions {
  /** Sub-range requests in flight at once for one client request. @default 4 */
  concurrency?: number;
  /**
   * Largest answer built from sub-ranges, in bytes: a request whose logs would exceed it is
   * refused with an error naming this cap and the range, and no further sub-range is fetched.
   * @default 33554432 (32 MiB)
   */
  maxResponseBytes?: number;
}

export const GET_LOGS_DEFAULTS = {
  concurrency: 4,
  maxResponseBytes: 32 * 1024 * 1024,
} as const satisfies Required<GetLogsOptions>;

/** What routing made of one (sub-)range request. `F` is the caller's failure answer, handed back as it is. */
export type RangeAnswer<F> =
  | { kind: 'logs'; result: ResultBytes }
  /**
   * Refused for its size: a provider's range limit, too many results, an answer too large.
   * `accepts`: the blocks the refusal said it would take (a stated limit or a suggested range).
   */
  | { kind: 'too_wide'; accepts: number | undefined; failure: F }
  /** Anything else. `retryable`: no provider could serve it now, and smaller pieces might go elsewhere. */
  | { kind: 'failed'; failure: F; retryable: boolean };

/**
 * Where sub-range answers whose blocks are final can be kept and found again (keyed by the
 * filter and the range; the implementation decides what is final).
 */
export interface FinalLogsStore {
  get(range: BlockRange): Promise<ResultBytes | undefined>;
  put(range: BlockRange, result: ResultBytes): void;
}

/** What the engine needs from routing. */
export interface LogsSource<F> {
  /** The logs of one range, through the normal routing (failover, breakers, hedging). */
  fetch(range: BlockRange): Promise<RangeAnswer<F>>;
  /**
   * The largest range each provider that can serve now accepts (configured or learned from its
   * refusals), one entry per provider; undefined when nothing is known against any range. Read
   * again after every refusal, since refusals teach it.
   */
  providerLimits(): readonly (number | undefined)[];
  store?: FinalLogsStore;
}

export interface GetLogsStats {
  /** Requests for a part of the range (the first request for the whole range not counted). */
  subRequests: number;
  /** Ranges cut by a provider's limit. */
  splits: number;
  /** Ranges halved for want of a stated limit (too many results, answer too large). */
  bisections: number;
}

export type GetLogsOutcome<F> =
  | { kind: 'logs'; result: ResultBytes; stats: GetLogsStats }
  | { kind: 'failed'; failure: F; stats: GetLogsStats }
  | { kind: 'over_cap'; limitBytes: number; range: BlockRange; stats: GetLogsStats };

/**
 * eth_getLogs over any range. The request goes out whole first, unless every provider is known
 * not to take that many blocks; when refused for its size it is cut into sub-ranges the providers
 * accept, fetched with bounded concurrency, each cut again (by limit, or in halves) when refused
 * in turn, and merged in order. Splitting follows refusals only, so a range nobody refuses costs
 * one call.
 */
export async function getLogsOverRange<F>(range: BlockRange, source: LogsSource<F>, options: GetLogsOptions = {}): Promise<GetLogsOutcome<F>> {
  return new RangeFetch(range, source, { ...GET_LOGS_DEFAULTS, ...options }).run();
}

type Stop<F> = { kind: 'failed'; failure: F } | { kind: 'over_cap' };

class RangeFetch<F> {
  readonly stats: GetLogsStats = { subRequests: 0, splits: 0, bisections: 0 };
  readonly #slots: ConcurrencyLimit;
  #bytes = 0;
  #stop: Stop<F> | undefined;

  constructor(
    private readonly range: BlockRange,
    private readonly source: LogsSource<F>,
    private readonly options: Required<GetLogsOptions>,
  ) {
    this.#slots = new ConcurrencyLimit(Math.max(1, options.concurrency));
  }

  async run(): Promise<GetLogsOutcome<F>> {
    const { range, source, stats } = this;
    const span = spanOf(range);
    const limits = source.providerLimits();
    const widest = widestAccepted(limits);
    // Every provider is known to refuse the whole range: asking would only cost a refusal.
    const upfront = widest !== undefined && widest < span ? cutForRefusal(span, limits, undefined) : undefined;
    let pieces: ResultBytes[];
    if (upfront === undefined) {
      const whole = await source.fetch(range);
      if (whole.kind === 'logs') return { kind: 'logs', result: whole.result, stats };
      const cut = whole.kind === 'too_wide' ? cutForRefusal(span, source.providerLimits(), whole.accepts) : undefined;
      if (cut === undefined) return { kind: 'failed', failure: whole.failure, stats };
      pieces = await this.#fetchCut(range, cut);
    } else {
      pieces = await this.#fetchCut(range, upfront);
    }
    const stop = this.#stop;
    if (stop?.kind === 'failed') return { kind: 'failed', failure: stop.failure, stats };
    if (stop?.kind === 'over_cap') return { kind: 'over_cap', limitBytes: this.options.maxResponseBytes, range, stats };
    return { kind: 'logs', result: mergeLogs(pieces), stats };
  }

  async #fetchCut(range: BlockRange, cut: Cut): Promise<ResultBytes[]> {
    if (cut.kind === 'split') this.stats.splits++;
    else this.stats.bisections++;
    const parts = await Promise.all(chunksOf(range, cut.size).map((piece) => this.#fetchPiece(piece)));
    return parts.flat();
  }

  async #fetchPiece(range: BlockRange): Promise<ResultBytes[]> {
    const { source } = this;
    const stored = await source.store?.get(range);
    const answer: RangeAnswer<F> | undefined = stored
      ? { kind: 'logs', result: stored }
      : await this.#slots.run(async () => {
          if (this.#stop !== undefined) return undefined;
          this.stats.subRequests++;
          return source.fetch(range);
        });
    if (answer === undefined || this.#stop !== undefined) return [];
    switch (answer.kind) {
      case 'logs':
        this.#bytes += answer.result.byteLength;
        if (this.#bytes > this.options.maxResponseBytes) {
          this.#stop = { kind: 'over_cap' };
          return [];
        }
        if (!stored) source.store?.put(range, answer.result);
        return [answer.result];
      case 'too_wide':
        return this.#fetchAgain(range, cutForRefusal(spanOf(range), source.providerLimits(), answer.accepts), answer.failure);
      case 'failed':
        return this.#fetchAgain(range, answer.retryable ? cutForFailure(spanOf(range), source.providerLimits()) : undefined, answer.failure);
    }
  }

  /** A piece refused or failed: cut it smaller, or give up on the whole request with its failure. */
  #fetchAgain(range: BlockRange, cut: Cut | undefined, failure: F): Promise<ResultBytes[]> {
    if (cut !== undefined) return this.#fetchCut(range, cut);
    this.#stop ??= { kind: 'failed', failure };
    return Promise.resolve([]);
  }
}
