import type { Hex, RpcLog } from 'viem';

/** One block of the devnet chain as every in-sync node serves it. */
export interface CanonicalBlock {
  number: number;
  hash: Hex;
  parentHash: Hex;
  /** Unix seconds, chosen by the devnet (never by a node's clock). */
  timestamp: number;
  /** Base fee the devnet set for this block; replays set it again. */
  baseFeePerGas: bigint;
  /** Transaction hashes, in block order. */
  txHashes: Hex[];
  /** Signed raw transactions, in block order: what a replay sends again. */
  rawTxs: Hex[];
  /** The block's logs exactly as `eth_getLogs({ blockHash })` returned them from a node. */
  logs: RpcLog[];
  /** Wall-clock ms when the devnet finished mining the block on every in-sync node. */
  minedAtMs: number;
}

/** One reorg the devnet performed. */
export interface ReorgRecord {
  /** Wall-clock ms when the rollback happened. */
  atMs: number;
  /** Wall-clock ms when the new branch was mined on every in-sync node: from then on, the orphaned blocks are history. */
  finishedAtMs: number;
  depth: number;
  /** Highest block number kept by both branches. */
  commonAncestor: number;
  /** Blocks that left the canonical chain, oldest first. */
  orphaned: CanonicalBlock[];
  /** Blocks of the new branch, oldest first. */
  replacement: CanonicalBlock[];
}

/** Read-only view of the devnet's ground truth: what checkers compare client observations against. */
export interface ReadonlyGroundTruth {
  /** Number of the canonical head block. */
  head(): number;
  /** The canonical head block. */
  headBlock(): CanonicalBlock;
  /** Canonical block at `number`, if any. */
  block(number: number): CanonicalBlock | undefined;
  /** Canonical blocks `from..to` inclusive (clamped to the chain). */
  blocks(from?: number, to?: number): CanonicalBlock[];
  /** A block by hash, canonical or orphaned, and which it is. */
  findByHash(hash: Hex): { block: CanonicalBlock; canonical: boolean } | undefined;
  isCanonical(hash: Hex): boolean;
  /** Canonical logs of blocks `from..to` inclusive, in chain order. */
  logs(from?: number, to?: number): RpcLog[];
  /** Every block ever orphaned, in the order they were orphaned. */
  orphaned(): readonly CanonicalBlock[];
  /** Logs of every orphaned block: the ones a subscriber should have seen again with `removed: true`. */
  orphanedLogs(): RpcLog[];
  reorgs(): readonly ReorgRecord[];
}

/** The canonical chain as the devnet mined it, plus everything reorgs removed. Mutated by the devnet only. */
export class GroundTruth implements ReadonlyGroundTruth {
  private readonly chain: CanonicalBlock[] = [];
  private readonly byHash = new Map<string, CanonicalBlock>();
  private readonly orphans: CanonicalBlock[] = [];
  private readonly reorgList: ReorgRecord[] = [];

  head(): number {
    return this.headBlock().number;
  }

  headBlock(): CanonicalBlock {
    const head = this.chain[this.chain.length - 1];
    if (!head) throw new Error('ground truth is empty (devnet not started)');
    return head;
  }

  block(number: number): CanonicalBlock | undefined {
    return this.chain[number];
  }

  blocks(from = 0, to = Number.MAX_SAFE_INTEGER): CanonicalBlock[] {
    return this.chain.slice(Math.max(0, from), Math.min(this.chain.length, to + 1));
  }

  findByHash(hash: Hex): { block: CanonicalBlock; canonical: boolean } | undefined {
    const key = hash.toLowerCase();
    const block = this.byHash.get(key);
    if (block) return { block, canonical: this.chain[block.number] === block };
    const orphan = this.orphans.find((b) => b.hash.toLowerCase() === key);
    return orphan ? { block: orphan, canonical: false } : undefined;
  }

  isCanonical(hash: Hex): boolean {
    return this.findByHash(hash)?.canonical ?? false;
  }

  logs(from = 0, to = Number.MAX_SAFE_INTEGER): RpcLog[] {
    return this.blocks(from, to).flatMap((b) => b.logs);
  }

  orphaned(): readonly CanonicalBlock[] {
    return this.orphans;
  }

  orphanedLogs(): RpcLog[] {
    return this.orphans.flatMap((b) => b.logs);
  }

  reorgs(): readonly ReorgRecord[] {
    return this.reorgList;
  }

  /** @internal Appends the next block; it must extend the head. */
  append(block: CanonicalBlock): void {
    const head = this.chain[this.chain.length - 1];
    if (head && (block.number !== head.number + 1 || block.parentHash !== head.hash)) {
      throw new Error(`block ${block.number} ${block.hash} does not extend head ${head.number} ${head.hash}`);
    }
    if (!head && block.number !== 0) throw new Error('the first block must be genesis');
    this.chain.push(block);
    this.byHash.set(block.hash.toLowerCase(), block);
  }

  /** @internal Drops every block above `ancestor` into the orphan list and returns them, oldest first. */
  truncate(ancestor: number): CanonicalBlock[] {
    const removed = this.chain.splice(ancestor + 1);
    for (const b of removed) this.byHash.delete(b.hash.toLowerCase());
    this.orphans.push(...removed);
    return removed;
  }

  /** @internal */
  recordReorg(record: ReorgRecord): void {
    this.reorgList.push(record);
  }
}
