import { executeRequest } from '../pipeline/execute.js';
import type { ExecuteDeps } from '../pipeline/types.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import { parseBlock, toQuantity } from './block.js';
import type { ChainBlock } from './block.js';
import { ReadError } from './errors.js';
import { upstreamFilter } from './filter.js';
import type { NormalizedLogFilter } from './filter.js';

/**
 * The HTTP reads the engine needs for backfill, reorg walk-back and polling. `attempt` > 0 asks
 * for a spread-out provider choice, so a retry after a `null` (block not there yet on a lagging
 * provider) is likely to reach another provider.
 */
export interface ChainReader {
  blockNumber(): Promise<number>;
  /** null when the answering provider does not have that block (yet). */
  blockByNumber(number: number | 'latest', attempt?: number): Promise<ChainBlock | null>;
  /** null when the answering provider does not know that hash. */
  blockByHash(hash: string, attempt?: number): Promise<ChainBlock | null>;
  /** Logs of one block matching the filter (EIP-234 blockHash filter). */
  logsByBlockHash(hash: string, filter: NormalizedLogFilter, attempt?: number): Promise<unknown[]>;
}

export interface PipelineReaderOptions {
  /** Deadline of one read, all attempts included, in ms. @default 5_000 */
  timeoutMs?: number;
}

/**
 * ChainReader over Lasso's own HTTP pipeline (executeRequest): backfill gets candidate
 * selection, breakers, failover and evidence like any client request.
 */
export class PipelineReader implements ChainReader {
  private readonly timeoutMs: number;

  constructor(
    private readonly chain: ChainRuntime,
    private readonly deps: ExecuteDeps,
    options: PipelineReaderOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async blockNumber(): Promise<number> {
    const result = await this.call('eth_blockNumber', [], 0);
    if (typeof result !== 'string' || !/^0x[0-9a-fA-F]+$/.test(result)) throw new ReadError('eth_blockNumber', 'not a quantity');
    return Number.parseInt(result, 16);
  }

  async blockByNumber(number: number | 'latest', attempt = 0): Promise<ChainBlock | null> {
    const tag = number === 'latest' ? 'latest' : toQuantity(number);
    return this.block('eth_getBlockByNumber', await this.call('eth_getBlockByNumber', [tag, false], attempt));
  }

  async blockByHash(hash: string, attempt = 0): Promise<ChainBlock | null> {
    return this.block('eth_getBlockByHash', await this.call('eth_getBlockByHash', [hash, false], attempt));
  }

  async logsByBlockHash(hash: string, filter: NormalizedLogFilter, attempt = 0): Promise<unknown[]> {
    const result = await this.call('eth_getLogs', [{ ...upstreamFilter(filter), blockHash: hash }], attempt);
    if (!Array.isArray(result)) throw new ReadError('eth_getLogs', 'not an array');
    return result;
  }

  private block(method: string, result: unknown): ChainBlock | null {
    if (result === null) return null;
    const block = parseBlock(result);
    if (!block) throw new ReadError(method, 'not a block object');
    return block;
  }

  private async call(method: string, params: unknown[], attempt: number): Promise<unknown> {
    const route = {
      strategy: attempt > 0 ? ('load-balanced' as const) : this.chain.config.defaultStrategy,
      deadline: this.chain.now() + this.timeoutMs,
      // Walking back a reorg asks again for a block it just read: the providers' answer, never a kept one.
      useCache: false,
    };
    const response = await executeRequest(this.chain, method, params, route, 'http', this.deps);
    if ('error' in response.body) throw new ReadError(method, response.body.error.message, response.body.error.code);
    return response.body.result.value();
  }
}
