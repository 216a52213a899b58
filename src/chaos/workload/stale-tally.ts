import type { Hex } from 'viem';

/** What the stale-answer check needs of the devnet's ground truth. */
export interface ReorgHistory {
  findByHash(hash: Hex): { canonical: boolean } | undefined;
  reorgs(): readonly { atMs: number; finishedAtMs: number; commonAncestor: number; orphaned: readonly { hash: Hex }[] }[];
}

/** The kinds of answers the stale-answer loop reads (the data a response cache stores). */
export type StaleReadKind = 'blockByNumber' | 'blockByHash' | 'balance' | 'nonce' | 'logs' | 'receipt';

/** What the stale-answer loop found over a run. */
export interface StaleSummary {
  /** Answers judged, per kind. */
  answers: Record<StaleReadKind, number>;
  /**
   * Answers that carried a block or log the devnet had orphaned before the request was sent, or a
   * balance / nonce at a number that differed from the canonical value there.
   */
  staleAnswers: number;
  /** Wrong answers to requests sent while a reorg was under way: not stale, shown for information. */
  raced: number;
  /** Balance / nonce answers whose canonical value could not be read (the block was reorged away meanwhile). */
  unchecked: number;
  /** Requests that got no usable answer (transport failure or error): skipped, not judged. */
  failedReads: number;
  /** The first few stale answers, to explain a non-zero count. */
  examples: string[];
}

/** One answer that names blocks: a block, the blocks of its logs, a receipt's block. */
interface HashesAnswer {
  kind: StaleReadKind;
  detail: string;
  sentAtMs: number;
  answeredAtMs: number;
  hashes: readonly Hex[];
}

/** One balance or nonce at a block number, with the devnet's own value at the block that was canonical there when sent. */
interface ValueAnswer {
  kind: StaleReadKind;
  detail: string;
  number: number;
  sentAtMs: number;
  answeredAtMs: number;
  answer: bigint;
  /** undefined: the canonical value could not be read. */
  canonical: bigint | undefined;
}

const MAX_EXAMPLES = 10;

/**
 * Collects the stale-answer loop's answers during the run and judges them at the end, against the
 * finished reorg records (a reorg still under way while an answer was checked would otherwise be
 * missed). Kept apart from the I/O so that it can be checked on made-up answers.
 */
export class StaleTally {
  private readonly hashAnswers: HashesAnswer[] = [];
  private readonly valueAnswers: ValueAnswer[] = [];
  private failedReads = 0;

  /** An answer carrying these block hashes (empty: nothing to judge, but counted as read). */
  blocks(answer: HashesAnswer): void {
    this.hashAnswers.push(answer);
  }

  value(answer: ValueAnswer): void {
    this.valueAnswers.push(answer);
  }

  failedRead(): void {
    this.failedReads++;
  }

  summary(truth: ReorgHistory): StaleSummary {
    const answers: Record<StaleReadKind, number> = { blockByNumber: 0, blockByHash: 0, balance: 0, nonce: 0, logs: 0, receipt: 0 };
    const out = { staleAnswers: 0, raced: 0, unchecked: 0 };
    const examples: string[] = [];
    const stale = (detail: string) => {
      out.staleAnswers++;
      if (examples.length < MAX_EXAMPLES) examples.push(detail);
    };
    const reorgs = truth.reorgs();
    const orphanedBy = new Map<string, (typeof reorgs)[number]>();
    for (const r of reorgs) for (const b of r.orphaned) orphanedBy.set(b.hash.toLowerCase(), r);

    for (const a of this.hashAnswers) {
      answers[a.kind]++;
      let verdict: 'ok' | 'stale' | 'raced' = 'ok';
      let staleHash: Hex | undefined;
      for (const hash of a.hashes) {
        const reorg = orphanedBy.get(hash.toLowerCase());
        // Orphaned by a reorg whose record is not written yet: it was still under way when judged.
        if (!reorg && truth.findByHash(hash)?.canonical !== false) continue;
        // Still canonical when the answer came back.
        if (reorg && reorg.atMs > a.answeredAtMs) continue;
        if (reorg && reorg.finishedAtMs < a.sentAtMs) {
          verdict = 'stale';
          staleHash = hash;
          break;
        }
        verdict = 'raced';
      }
      if (verdict === 'stale') stale(`${a.detail}: block ${staleHash} orphaned before the request`);
      else if (verdict === 'raced') out.raced++;
    }

    for (const a of this.valueAnswers) {
      answers[a.kind]++;
      if (a.canonical === a.answer) continue;
      const racing = reorgs.some((r) => r.commonAncestor < a.number && r.atMs <= a.answeredAtMs && r.finishedAtMs >= a.sentAtMs);
      if (racing) out.raced++;
      else if (a.canonical === undefined) out.unchecked++;
      else stale(`${a.detail}: ${a.answer}, canonical ${a.canonical}`);
    }
    return { answers, ...out, failedReads: this.failedReads, examples };
  }
}
