/** What a provider's refusal of an `eth_getLogs` range says about the ranges it accepts. */
export interface LogsRangeLimit {
  /**
   * Most blocks one query may span, when the message states it ("up to a 2K block range",
   * "exceed maximum block range: 5000", "limited to a 10,000 range").
   */
  maxBlocks?: number;
  /** The range the provider suggests for this query ("this block range should work: [0x.., 0x..]"), both ends included. */
  suggested?: { fromBlock: number; toBlock: number };
}

const COUNT = String.raw`(\d[\d,]*k?)`;

/**
 * How vendors state their limit, matched against the lower-cased message. Each names a *block*
 * count: "a cap of 10K logs" or "more than 10000 results" are result limits, not ranges.
 */
const MAX_BLOCKS_PATTERNS: readonly RegExp[] = [
  // Alchemy: "You can make eth_getLogs requests with up to a 2K block range"
  new RegExp(String.raw`up to an? ${COUNT} block range`),
  // QuickNode: "eth_getLogs is limited to a 10,000 range", "... limited to a 10,000 blocks range"
  new RegExp(String.raw`limited to an? ${COUNT}(?: blocks?)? range`),
  // Public endpoints: "the block range is limited to 2000"
  new RegExp(String.raw`block range is limited to ${COUNT}`),
  // geth forks "exceed maximum block range: 5000", reth "query exceeds max block range 5000",
  // L2 nodes "block range is larger than max block range, block range = 5120, max block range = 5000"
  new RegExp(String.raw`max(?:imum)? block range(?: is)?\s*[:=]?\s*${COUNT}`),
  // Frontier (Moonbeam, Astar): "block range is too wide (maximum 1024)"
  new RegExp(String.raw`block range is too wide \(maximum ${COUNT}\)`),
  // Infura: "range 1000000 exceeds limit of 10000"
  new RegExp(String.raw`range \d+ exceeds limit of ${COUNT}`),
  // Tenderly: "range 9009594 is bigger than range limit 2000"
  new RegExp(String.raw`range limit ${COUNT}`),
  // erigon forks: "block range too large, max range: 1000"
  new RegExp(String.raw`max range:?\s*${COUNT}`),
];

/** "this block range should work: [0x1, 0x7d0]", "Try with this block range [0x1, 0x7d0]." */
const SUGGESTED_RANGE = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/;

/** The limit a range refusal states, from its lower-cased text; undefined when it names none. */
export function parseLogsRangeLimit(text: string): LogsRangeLimit | undefined {
  const limit: LogsRangeLimit = {};
  for (const pattern of MAX_BLOCKS_PATTERNS) {
    const count = pattern.exec(text)?.[1];
    const maxBlocks = count === undefined ? undefined : blockCount(count);
    if (maxBlocks !== undefined) {
      limit.maxBlocks = maxBlocks;
      break;
    }
  }
  const range = SUGGESTED_RANGE.exec(text);
  if (range?.[1] !== undefined && range[2] !== undefined) {
    const fromBlock = Number.parseInt(range[1], 16);
    const toBlock = Number.parseInt(range[2], 16);
    if (Number.isSafeInteger(fromBlock) && Number.isSafeInteger(toBlock) && toBlock >= fromBlock) limit.suggested = { fromBlock, toBlock };
  }
  return limit.maxBlocks === undefined && limit.suggested === undefined ? undefined : limit;
}

/** Blocks a range refusal says are safe to ask for: the stated limit, else the suggested range's size. */
export function acceptedBlocks(limit: LogsRangeLimit | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (limit.maxBlocks !== undefined) return limit.maxBlocks;
  return limit.suggested === undefined ? undefined : limit.suggested.toBlock - limit.suggested.fromBlock + 1;
}

/** "10,000" → 10000, "2k" → 2000; undefined unless a positive safe integer. */
function blockCount(text: string): number | undefined {
  const thousands = text.endsWith('k');
  const n = Number(text.replace(/[,k]/g, '')) * (thousands ? 1000 : 1);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}
