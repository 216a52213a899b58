/**
 * eth_newFilter's criteria, validated, as geth reads them: `address` and `topics` as for a logs
 * subscription; `fromBlock` / `toBlock` bound the logs a filter reports only when they are
 * numbers (the tags `latest`, `pending`, `safe`, `finalized` and `earliest` leave that end open
 * for eth_getFilterChanges, and are passed as given to eth_getLogs by eth_getFilterLogs);
 * `blockHash` restricts the filter to that one block.
 */
import { RpcError, RpcErrorCode } from '../jsonrpc/errors.js';
import { logMatches, normalizeLogFilter, upstreamFilter } from '../subscriptions/filter.js';
import type { NormalizedLogFilter } from '../subscriptions/filter.js';

export interface LogCriteria {
  filter: NormalizedLogFilter;
  /** Lowest block number whose logs are reported; undefined = open. */
  fromBlock?: number;
  /** Highest block number whose logs are reported; undefined = open. */
  toBlock?: number;
  /** Lowercased; only this block's logs are reported. */
  blockHash?: string;
  /** The range as the client gave it (a number or a tag), for eth_getFilterLogs. */
  range: { fromBlock?: string; toBlock?: string };
}

const BLOCK_TAGS: ReadonlySet<string> = new Set(['latest', 'pending', 'safe', 'finalized', 'earliest']);
const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Validates eth_newFilter's params (`[criteria]`); throws RpcError(-32602) saying what is wrong. */
export function parseLogCriteria(params: unknown): LogCriteria {
  const input: unknown = Array.isArray(params) ? params[0] : undefined;
  if (!Array.isArray(params) || params.length !== 1 || typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('eth_newFilter expects params [{ fromBlock?, toBlock?, blockHash?, address?, topics? }]');
  }
  const { fromBlock, toBlock, blockHash, address, topics, ...unknown } = input as Record<string, unknown>;
  const extra = Object.keys(unknown)[0];
  if (extra !== undefined) throw invalid(`filter: unsupported field ${JSON.stringify(extra.slice(0, 64))} (a filter takes fromBlock, toBlock, blockHash, address and topics)`);
  const filter = normalizeLogFilter({ address, topics });
  const from = blockParam(fromBlock, 'fromBlock');
  const to = blockParam(toBlock, 'toBlock');
  const criteria: LogCriteria = { filter, range: {} };
  if (blockHash !== undefined && blockHash !== null) {
    if (from !== undefined || to !== undefined) throw invalid('cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other');
    if (typeof blockHash !== 'string' || !HASH.test(blockHash)) throw invalid('filter: blockHash must be a 32-byte hex string (0x + 64 hex digits)');
    criteria.blockHash = blockHash.toLowerCase();
    return criteria;
  }
  if (from !== undefined) {
    criteria.range.fromBlock = from.given;
    if (from.number !== undefined) criteria.fromBlock = from.number;
  }
  if (to !== undefined) {
    criteria.range.toBlock = to.given;
    if (to.number !== undefined) criteria.toBlock = to.number;
  }
  if (criteria.fromBlock !== undefined && criteria.toBlock !== undefined && criteria.fromBlock > criteria.toBlock) {
    throw invalid('invalid from and to block combination: fromBlock is above toBlock');
  }
  return criteria;
}

/** Whether a log (as eth_getLogs returns it) belongs to what the filter reports. */
export function criteriaMatch(criteria: LogCriteria, log: { address?: unknown; topics?: unknown; blockNumber?: unknown; blockHash?: unknown }): boolean {
  if (!logMatches(log, criteria.filter)) return false;
  const number = typeof log.blockNumber === 'string' ? Number.parseInt(log.blockNumber, 16) : Number.NaN;
  const hash = typeof log.blockHash === 'string' ? log.blockHash.toLowerCase() : '';
  return Number.isSafeInteger(number) && wantsLogsOf(criteria, { number, hash });
}

/** The eth_getLogs filter object for eth_getFilterLogs: the criteria as the client gave them. */
export function getLogsFilter(criteria: LogCriteria): Record<string, unknown> {
  const out = upstreamFilter(criteria.filter);
  if (criteria.blockHash !== undefined) return { ...out, blockHash: criteria.blockHash };
  return { ...out, ...criteria.range };
}

/** Whether the criteria want the logs of this block at all (its number in range, its hash the one named). */
export function wantsLogsOf(criteria: LogCriteria, block: { number: number; hash: string }): boolean {
  if (criteria.blockHash !== undefined) return block.hash === criteria.blockHash;
  return (criteria.fromBlock === undefined || block.number >= criteria.fromBlock) && (criteria.toBlock === undefined || block.number <= criteria.toBlock);
}

/** The eth_getLogs filter object for the logs of blocks `from..to` (numbers) matching the criteria's address and topics. */
export function rangeFilter(criteria: LogCriteria, from: number, to: number): Record<string, unknown> {
  return { ...upstreamFilter(criteria.filter), fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` };
}

/** The eth_getLogs filter object for the logs of one block, by hash, matching the criteria's address and topics. */
export function blockHashFilter(criteria: LogCriteria, hash: string): Record<string, unknown> {
  return { ...upstreamFilter(criteria.filter), blockHash: hash };
}

function blockParam(value: unknown, name: string): { given: string; number: number | undefined } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && BLOCK_TAGS.has(value)) return { given: value, number: undefined };
  if (typeof value === 'string' && QUANTITY.test(value)) return { given: value, number: Number.parseInt(value, 16) };
  throw invalid(`filter: ${name} must be a block number (hex quantity) or one of ${[...BLOCK_TAGS].join(', ')}`);
}

function invalid(message: string): RpcError {
  return new RpcError(RpcErrorCode.InvalidParams, message);
}
