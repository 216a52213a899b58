import type { StaleSummary } from './stale-tally.js';

/** What a consistency probe found over a run, against the devnet's canonical chain. */
export interface ConsistencySummary {
  /** `eth_blockNumber` answers checked. */
  headReads: number;
  /** `eth_getBlockByNumber('latest')` answers checked. */
  latestReads: number;
  /** Head answers lower than a number already returned to the probe. */
  headsBackwards: number;
  /** `latest` blocks older than a head already returned to the probe. */
  olderLatest: number;
  /** Heads or `latest` blocks above the canonical head + 1 (a block being mined may be served before the devnet records it). */
  bogusHeads: number;
  /** Canonical head just before the read minus the answer, in blocks (negative: the answer was ahead). */
  stalenessBlocks: { p50: number; p99: number; max: number };
  /** Transactions sent through the target whose receipt came back. */
  receipts: number;
  /** Reads right after a receipt (recipient balance, sender nonce) that did not reflect the transaction. */
  staleAfterReceipt: number;
  /** Such misses while the receipt's block had been reorged out (the transaction was not canonical then): not counted as stale. */
  reorgedAfterReceipt: number;
  /** Transactions whose receipt did not come back before the deadline. */
  receiptTimeouts: number;
  /** Probe requests that got no usable answer (transport failure or error): skipped, not judged. */
  failedReads: number;
  /** The first few findings, to explain a non-zero count. */
  examples: string[];
  /** The first few requests without a usable answer, to explain `failedReads`. */
  failures: string[];
  /** What the stale-answer loop found, when it ran. */
  stale?: StaleSummary;
}

const MAX_EXAMPLES = 10;

/**
 * The consistency probe's counting, kept apart from its I/O so that it can be checked on made-up
 * answers. One tally per client: "backwards" is relative to what this client was already given.
 */
export class ConsistencyTally {
  private highest = -1;
  private highestCanonical = -1;
  private readonly staleness: number[] = [];
  private readonly counts = {
    headReads: 0,
    latestReads: 0,
    headsBackwards: 0,
    olderLatest: 0,
    bogusHeads: 0,
    receipts: 0,
    staleAfterReceipt: 0,
    reorgedAfterReceipt: 0,
    receiptTimeouts: 0,
    failedReads: 0,
  };
  private readonly examples: string[] = [];
  private readonly failures: string[] = [];

  /** An `eth_blockNumber` answer; `canonicalBefore` / `canonicalAfter`: the devnet's head just before and after the read. */
  head(answer: number, canonicalBefore: number, canonicalAfter: number): void {
    this.counts.headReads++;
    if (answer < this.highest) this.finding('headsBackwards', `eth_blockNumber ${answer} after ${this.highest} was returned`);
    this.checkBogus('eth_blockNumber', answer, canonicalBefore, canonicalAfter);
    this.staleness.push(canonicalBefore - answer);
    this.highest = Math.max(this.highest, answer);
  }

  /** The number of an `eth_getBlockByNumber('latest')` answer, with the devnet's head just before and after the read. */
  latestBlock(number: number, canonicalBefore: number, canonicalAfter: number): void {
    this.counts.latestReads++;
    if (number < this.highest) this.finding('olderLatest', `latest block ${number} after head ${this.highest} was returned`);
    this.checkBogus('latest block', number, canonicalBefore, canonicalAfter);
    this.highest = Math.max(this.highest, number);
  }

  /**
   * Reads right after a receipt. `reflected`: the answers showed the transaction; `canonical`: the
   * receipt's block was still on the canonical chain after the reads.
   */
  afterReceipt(reflected: boolean, canonical: boolean, detail: string): void {
    this.counts.receipts++;
    if (reflected) return;
    if (canonical) this.finding('staleAfterReceipt', detail);
    else this.counts.reorgedAfterReceipt++;
  }

  receiptTimeout(): void {
    this.counts.receiptTimeouts++;
  }

  failedRead(detail: string): void {
    this.counts.failedReads++;
    if (this.failures.length < MAX_EXAMPLES) this.failures.push(detail);
  }

  summary(): ConsistencySummary {
    const sorted = [...this.staleness].sort((a, b) => a - b);
    const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!);
    return {
      ...this.counts,
      stalenessBlocks: { p50: at(0.5), p99: at(0.99), max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]! },
      examples: [...this.examples],
      failures: [...this.failures],
    };
  }

  /**
   * A reorg shortens the canonical chain for a moment (its new branch is mined right after), and a
   * head that never decreases stays at the orphaned tip meanwhile: only a height the chain never
   * reached is bogus.
   */
  private checkBogus(what: string, number: number, canonicalBefore: number, canonicalAfter: number): void {
    this.highestCanonical = Math.max(this.highestCanonical, canonicalBefore, canonicalAfter);
    if (number > this.highestCanonical + 1) this.finding('bogusHeads', `${what} ${number} with the canonical head at ${this.highestCanonical}`);
  }

  private finding(kind: 'headsBackwards' | 'olderLatest' | 'bogusHeads' | 'staleAfterReceipt', detail: string): void {
    this.counts[kind]++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(detail);
  }
}
