import type { Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { StaleTally } from '../../../src/chaos/workload/stale-tally.js';
import type { ReorgHistory } from '../../../src/chaos/workload/stale-tally.js';

const h = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const [A, B, C, X] = [h(0xa), h(0xb), h(0xc), h(0xf)];

/** Canonical A; B orphaned by a reorg above block 10 that ran from 1000 to 1050 ms; C orphaned by one still under way. */
function truth(): ReorgHistory {
  const canonical = new Set([A]);
  return {
    findByHash: (hash) => (canonical.has(hash) ? { canonical: true } : hash === B || hash === C ? { canonical: false } : undefined),
    reorgs: () => [{ atMs: 1000, finishedAtMs: 1050, commonAncestor: 10, orphaned: [{ hash: B }] }],
  };
}

const block = (hashes: Hex[], sentAtMs: number, answeredAtMs = sentAtMs + 5) => ({ kind: 'blockByNumber' as const, detail: 'block 11 by number', sentAtMs, answeredAtMs, hashes });
const balance = (answer: bigint, canonical: bigint | undefined, sentAtMs: number, number = 11) => ({ kind: 'balance' as const, detail: `balance at ${number}`, number, sentAtMs, answeredAtMs: sentAtMs + 5, answer, canonical });

describe('stale tally', () => {
  it('an orphaned block asked for after its reorg finished is stale; asked during it, it raced; answered before it, it was right', () => {
    const t = new StaleTally();
    t.blocks(block([B], 1051)); // the reorg was done: stale
    t.blocks(block([B], 1050)); // sent as the new branch was being finished: raced
    t.blocks(block([B], 900, 1010)); // sent before the rollback, answered after it
    t.blocks(block([B], 900, 950)); // canonical when answered
    t.blocks(block([A], 2000));
    t.blocks(block([X], 2000)); // unknown to the truth (being mined): not judged stale
    expect(t.summary(truth())).toMatchObject({ answers: { blockByNumber: 6 }, staleAnswers: 1, raced: 2, examples: [`block 11 by number: block ${B} orphaned before the request`] });
  });

  it('a log or receipt from an orphaned block counts once per answer; a block orphaned by a reorg not recorded yet raced', () => {
    const t = new StaleTally();
    t.blocks({ kind: 'logs', detail: 'eth_getLogs 9..11', sentAtMs: 2000, answeredAtMs: 2001, hashes: [A, B, B] });
    t.blocks({ kind: 'receipt', detail: 'receipt', sentAtMs: 2000, answeredAtMs: 2001, hashes: [C] });
    t.blocks({ kind: 'logs', detail: 'eth_getLogs 1..3', sentAtMs: 2000, answeredAtMs: 2001, hashes: [] });
    expect(t.summary(truth())).toMatchObject({ answers: { logs: 2, receipt: 1 }, staleAnswers: 1, raced: 1 });
  });

  it('a balance that differs from the canonical value is stale, unless a reorg above its block overlapped the request', () => {
    const t = new StaleTally();
    t.value(balance(5n, 5n, 2000));
    t.value(balance(4n, 5n, 2000)); // stale
    t.value(balance(4n, 5n, 1040)); // sent during the reorg
    t.value(balance(4n, 5n, 1040, 10)); // the reorg kept block 10: still stale
    t.value(balance(4n, undefined, 2000)); // no canonical value to compare with
    t.value({ ...balance(4n, undefined, 1040), kind: 'nonce' });
    const s = t.summary(truth());
    expect(s).toMatchObject({ answers: { balance: 5, nonce: 1 }, staleAnswers: 2, raced: 2, unchecked: 1 });
    expect(s.examples).toEqual(['balance at 11: 4, canonical 5', 'balance at 10: 4, canonical 5']);
  });

  it('counts reads without an answer apart', () => {
    const t = new StaleTally();
    t.failedRead();
    expect(t.summary(truth())).toMatchObject({ staleAnswers: 0, failedReads: 1 });
  });
});
