import type { BlockId } from './block.js';

interface RingEntry {
  hash: string;
  parentHash: string;
}

/**
 * The most recent delivered canonical blocks (number -> hash), a contiguous range ending at the
 * tip, bounded in size. Used to drop duplicates (same hash at a known height) and to find the
 * fork point of a reorg (the highest height where a new branch's ancestry meets it).
 */
export class BlockRing {
  private readonly entries = new Map<number, RingEntry>();
  private low = 0;
  private high = -1;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  tip(): BlockId | undefined {
    const e = this.entries.get(this.high);
    return e === undefined ? undefined : { number: this.high, hash: e.hash };
  }

  /** Lowest remembered height; undefined when empty. */
  oldest(): number | undefined {
    return this.entries.size === 0 ? undefined : this.low;
  }

  hashAt(number: number): string | undefined {
    return this.entries.get(number)?.hash;
  }

  /**
   * Appends a block above the tip. A block that does not directly follow the tip restarts the
   * ring from it (the caller re-anchored after a gap it could not fill).
   */
  push(block: BlockId & { parentHash: string }): void {
    if (this.entries.size > 0 && block.number !== this.high + 1) this.clear();
    if (this.entries.size === 0) this.low = block.number;
    this.entries.set(block.number, { hash: block.hash, parentHash: block.parentHash });
    this.high = block.number;
    while (this.entries.size > this.capacity) {
      this.entries.delete(this.low);
      this.low++;
    }
  }

  /** Removes every block above `number` and returns them, oldest first (the orphans of a reorg). */
  truncateAbove(number: number): BlockId[] {
    const removed: BlockId[] = [];
    if (this.entries.size === 0) return removed;
    for (let n = Math.max(number + 1, this.low); n <= this.high; n++) {
      const e = this.entries.get(n);
      if (e) removed.push({ number: n, hash: e.hash });
      this.entries.delete(n);
    }
    if (this.entries.size === 0) {
      this.low = 0;
      this.high = -1;
    } else {
      this.high = Math.min(this.high, number);
    }
    return removed;
  }

  clear(): void {
    this.entries.clear();
    this.low = 0;
    this.high = -1;
  }
}
