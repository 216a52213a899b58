import type { BlockId } from './block.js';

/** A log notification / eth_getLogs item, validated, with its identity parsed. */
export interface ParsedLog {
  /** Lowercased. */
  blockHash: string;
  blockNumber: number;
  logIndex: number;
  removed: boolean;
  /** The object as the upstream sent it; what clients receive. */
  raw: Readonly<Record<string, unknown>>;
}

const HASH = /^0x[0-9a-fA-F]{64}$/;
const QUANTITY = /^0x[0-9a-fA-F]{1,16}$/;

export function parseLog(value: unknown): ParsedLog | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const { blockHash, blockNumber, logIndex } = raw;
  if (typeof blockHash !== 'string' || !HASH.test(blockHash)) return undefined;
  if (typeof blockNumber !== 'string' || !QUANTITY.test(blockNumber)) return undefined;
  if (typeof logIndex !== 'string' || !QUANTITY.test(logIndex)) return undefined;
  return {
    blockHash: blockHash.toLowerCase(),
    blockNumber: Number.parseInt(blockNumber, 16),
    logIndex: Number.parseInt(logIndex, 16),
    removed: raw.removed === true,
    raw,
  };
}

interface BlockLogs {
  number: number;
  logs: Map<number, ParsedLog>;
}

/**
 * Logs delivered per recent block (by block hash), bounded to the last `capacity` blocks: the
 * dedupe set (blockHash + logIndex) and what a reorg re-delivers with `removed: true`.
 * A block is "processed" once its head went through the logs stream, even when it had no logs.
 */
export class DeliveredLogs {
  private readonly blocks = new Map<string, BlockLogs>();

  constructor(private readonly capacity: number) {}

  /** Marks a block as processed (idempotent). */
  open(block: BlockId): void {
    if (this.blocks.has(block.hash)) return;
    this.blocks.set(block.hash, { number: block.number, logs: new Map() });
    // Map iteration order is insertion order: the first key is the oldest block.
    while (this.blocks.size > this.capacity) {
      const oldest = this.blocks.keys().next().value as string;
      this.blocks.delete(oldest);
    }
  }

  isProcessed(blockHash: string): boolean {
    return this.blocks.has(blockHash);
  }

  has(log: ParsedLog): boolean {
    return this.blocks.get(log.blockHash)?.logs.has(log.logIndex) ?? false;
  }

  /** Records a delivered log (its block is opened if needed). */
  record(log: ParsedLog): void {
    this.open({ number: log.blockNumber, hash: log.blockHash });
    this.blocks.get(log.blockHash)?.logs.set(log.logIndex, log);
  }

  /** Forgets a block and returns the logs delivered for it, in logIndex order (a reorg orphaned it). */
  take(blockHash: string): ParsedLog[] {
    const entry = this.blocks.get(blockHash);
    if (!entry) return [];
    this.blocks.delete(blockHash);
    return [...entry.logs.values()].sort((a, b) => a.logIndex - b.logIndex);
  }

  clear(): void {
    this.blocks.clear();
  }
}
