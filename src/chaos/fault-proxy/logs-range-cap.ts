import type { JsonRpcFailure, JsonRpcId } from '../../jsonrpc/types.js';
import type { CallInfo, FailedCall } from './jsonrpc-body.js';
import type { LogsRangeCapFault, LogsRangeVendor } from './rules.js';

/** An `eth_getLogs` block range, both ends inclusive. */
interface BlockRange {
  from: number;
  to: number;
}

/** How one vendor refuses a range: its HTTP status and JSON-RPC error. */
interface VendorRefusal {
  httpStatus: number;
  error: (range: BlockRange, maxBlocks: number) => JsonRpcFailure['error'];
}

const hex = (n: number): string => `0x${n.toString(16)}`;
/** The range a vendor suggests: as many blocks as allowed, from the requested start. */
const suggested = (range: BlockRange, maxBlocks: number): string => `[${hex(range.from)}, ${hex(range.from + maxBlocks - 1)}]`;
const span = (range: BlockRange): number => range.to - range.from + 1;
/** Alchemy writes round thousands as "2K". */
const thousands = (n: number): string => (n % 1000 === 0 ? `${n / 1000}K` : String(n));

/** The refusals as each vendor sends them (message texts as seen in their answers). */
const REFUSALS: Record<LogsRangeVendor, VendorRefusal> = {
  alchemy: {
    httpStatus: 200,
    error: (range, max) => ({
      code: -32602,
      message:
        `Log response size exceeded. You can make eth_getLogs requests with up to a ${thousands(max)} block range and no limit on the response size, ` +
        `or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, ` +
        `this block range should work: ${suggested(range, max)}`,
    }),
  },
  alchemy_range: {
    httpStatus: 200,
    error: (range, max) => ({
      code: -32600,
      message: `You can make eth_getLogs requests with up to a ${max} block range. Based on your parameters, this block range should work: ${suggested(range, max)}`,
    }),
  },
  infura: {
    httpStatus: 200,
    error: (range, max) => ({ code: -32005, message: `query returned more than 10000 results. Try with this block range ${suggested(range, max)}.` }),
  },
  quicknode: {
    httpStatus: 413,
    error: (_range, max) => ({ code: -32614, message: `eth_getLogs is limited to a ${max.toLocaleString('en-US')} range` }),
  },
  frontier: {
    httpStatus: 200,
    error: (_range, max) => ({ code: -32603, message: `block range is too wide (maximum ${max})` }),
  },
  bsc: {
    httpStatus: 200,
    error: (_range, max) => ({ code: -32000, message: `exceed maximum block range: ${max}` }),
  },
  reth: {
    httpStatus: 200,
    error: (_range, max) => ({ code: -32602, message: `query exceeds max block range ${max}` }),
  },
  tenderly: {
    httpStatus: 200,
    error: (range, max) => ({ code: -32602, message: 'invalid params', data: { payload: `range ${span(range)} is bigger than range limit ${max}` } }),
  },
};

/** The error answer and HTTP status a vendor sends for a refused range. */
export function logsRangeRefusal(rule: LogsRangeCapFault, id: JsonRpcId, range: BlockRange): { failure: JsonRpcFailure; httpStatus: number } {
  const refusal = REFUSALS[rule.vendor ?? 'alchemy'];
  return { failure: { jsonrpc: '2.0', id, error: refusal.error(range, rule.maxBlocks) }, httpStatus: refusal.httpStatus };
}

/**
 * The `eth_getLogs` calls whose range spans more than the cap. Tags resolve against the upstream's
 * head, asked once and only when a call needs it; a call whose range cannot be read (a `blockHash`
 * filter, malformed params, no head) is left to the upstream.
 */
export async function refusedLogsCalls(rule: LogsRangeCapFault, calls: readonly CallInfo[], head: () => Promise<number | undefined>): Promise<FailedCall[]> {
  let headAnswer: Promise<number | undefined> | undefined;
  const headOnce = (): Promise<number | undefined> => (headAnswer ??= head());
  const refused: FailedCall[] = [];
  for (const call of calls) {
    if (call.method !== 'eth_getLogs') continue;
    const range = await requestedRange(call.raw, headOnce);
    if (range === undefined || span(range) <= rule.maxBlocks) continue;
    refused.push({ call, ...logsRangeRefusal(rule, call.id, range) });
  }
  return refused;
}

async function requestedRange(raw: unknown, head: () => Promise<number | undefined>): Promise<BlockRange | undefined> {
  const params = (raw as { params?: unknown }).params;
  const filter: unknown = Array.isArray(params) ? params[0] : undefined;
  if (filter === null || typeof filter !== 'object' || 'blockHash' in filter) return undefined;
  const { fromBlock, toBlock } = filter as { fromBlock?: unknown; toBlock?: unknown };
  const from = await blockNumberOf(fromBlock, head);
  const to = await blockNumberOf(toBlock, head);
  return from === undefined || to === undefined ? undefined : { from, to };
}

/** A block parameter as a number: hex quantities as they are, `earliest` 0, other tags (and omitted) the head. */
async function blockNumberOf(param: unknown, head: () => Promise<number | undefined>): Promise<number | undefined> {
  if (param === undefined || param === null) return head();
  if (typeof param !== 'string') return undefined;
  if (/^0x[0-9a-fA-F]+$/.test(param)) return Number(param);
  if (param === 'earliest') return 0;
  if (param === 'latest' || param === 'safe' || param === 'finalized' || param === 'pending') return head();
  return undefined;
}
