/** An `eth_getLogs` block range, both ends included. */
export interface BlockRange {
  from: number;
  to: number;
}

/** Blocks in the range. */
export function spanOf(range: BlockRange): number {
  return range.to - range.from + 1;
}

const QUANTITY = /^0x[0-9a-fA-F]{1,16}$/;

/**
 * The numeric range of an eth_getLogs filter whose bounds are fixed (hex quantities or
 * `earliest`, as they are once moving tags were resolved). Undefined for a `blockHash` filter, a
 * bound still a tag, malformed params, or from > to: those go upstream as they are.
 */
export function fixedLogsRange(params: unknown): BlockRange | undefined {
  const filter: unknown = Array.isArray(params) ? params[0] : undefined;
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) return undefined;
  const f = filter as Record<string, unknown>;
  if (f['blockHash'] !== undefined) return undefined;
  const from = fixedBlock(f['fromBlock']);
  const to = fixedBlock(f['toBlock']);
  return from === undefined || to === undefined || from > to ? undefined : { from, to };
}

function fixedBlock(value: unknown): number | undefined {
  if (value === 'earliest') return 0;
  if (typeof value !== 'string' || !QUANTITY.test(value)) return undefined;
  const n = Number.parseInt(value, 16);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The client's eth_getLogs params over another range (address, topics and any extra params kept). */
export function paramsForRange(params: unknown, range: BlockRange): unknown[] {
  const [filter, ...rest] = params as [Record<string, unknown>, ...unknown[]];
  return [{ ...filter, fromBlock: `0x${range.from.toString(16)}`, toBlock: `0x${range.to.toString(16)}` }, ...rest];
}

/** `range` cut into consecutive pieces of at most `size` blocks, in order. */
export function chunksOf(range: BlockRange, size: number): BlockRange[] {
  const step = Math.max(1, Math.floor(size));
  const chunks: BlockRange[] = [];
  for (let from = range.from; from <= range.to; from += step) chunks.push({ from, to: Math.min(range.to, from + step - 1) });
  return chunks;
}
