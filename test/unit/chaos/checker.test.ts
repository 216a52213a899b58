import { describe, expect, it } from 'vitest';
import type { Hex, RpcLog } from 'viem';
import { checkLogs, checkNewHeads, headsFromNotifications, logsFromNotifications } from '../../../src/chaos/index.js';
import type { DeliveredHead, DeliveredLog } from '../../../src/chaos/index.js';
import { GroundTruth } from '../../../src/devnet/index.js';
import type { CanonicalBlock } from '../../../src/devnet/index.js';

const EMITTER = '0x00000000000000000000000000000000000000ee';

const hash = (tag: string): Hex => `0x${Buffer.from(tag).toString('hex').padEnd(64, '0').slice(0, 64)}` as Hex;

function block(number: number, parentHash: Hex, branch = 'a', logs = 2): CanonicalBlock {
  const h = hash(`${branch}${number}`);
  return {
    number,
    hash: h,
    parentHash,
    timestamp: 1000 + number,
    baseFeePerGas: 1n,
    txHashes: [],
    rawTxs: [],
    logs: Array.from({ length: logs }, (_, i) => ({
      address: EMITTER,
      topics: [hash('ping')],
      data: '0x',
      blockHash: h,
      blockNumber: `0x${number.toString(16)}`,
      logIndex: `0x${i.toString(16)}`,
      transactionHash: hash(`tx${branch}${number}${i}`),
      transactionIndex: `0x${i.toString(16)}`,
      removed: false,
    })) as unknown as RpcLog[],
    minedAtMs: 0,
  };
}

/** A chain 0..n on branch `a`. */
function chain(n: number): GroundTruth {
  const truth = new GroundTruth();
  let parent = hash('genesis-parent');
  for (let i = 0; i <= n; i++) {
    const b = block(i, parent);
    truth.append(b);
    parent = b.hash;
  }
  return truth;
}

/** Reorgs `truth` `depth` deep, appending `newBlocks` on branch `b`. */
function reorg(truth: GroundTruth, depth: number, newBlocks: number): void {
  const ancestor = truth.head() - depth;
  const orphaned = truth.truncate(ancestor);
  const replacement: CanonicalBlock[] = [];
  let parent = truth.headBlock().hash;
  for (let i = 1; i <= newBlocks; i++) {
    const b = block(ancestor + i, parent, 'b');
    truth.append(b);
    replacement.push(b);
    parent = b.hash;
  }
  truth.recordReorg({ atMs: 0, finishedAtMs: 0, depth, commonAncestor: ancestor, orphaned, replacement });
}

const head = (truth: GroundTruth, n: number): DeliveredHead => {
  const b = truth.block(n) ?? truth.orphaned().find((o) => o.number === n);
  if (!b) throw new Error(`no block ${n}`);
  return { number: b.number, hash: b.hash, parentHash: b.parentHash };
};

const liveLogs = (b: CanonicalBlock): DeliveredLog[] =>
  b.logs.map((l) => ({ blockNumber: b.number, blockHash: b.hash, logIndex: Number(l.logIndex), removed: false }));
const removedLogs = (b: CanonicalBlock): DeliveredLog[] => liveLogs(b).map((l) => ({ ...l, removed: true }));

describe('checkNewHeads', () => {
  it('accepts every block of the window exactly once, in order', () => {
    const truth = chain(10);
    const report = checkNewHeads([3, 4, 5, 6, 7, 8, 9, 10].map((n) => head(truth, n)), truth, { from: 3, to: 10 });
    expect(report.ok).toBe(true);
    expect(report).toMatchObject({ expected: 8, delivered: 8, deliveryRatio: 1, missed: [], duplicateCount: 0 });
  });

  it('reports missed blocks and the gap they leave', () => {
    const truth = chain(10);
    const report = checkNewHeads([3, 4, 7, 8, 9, 10].map((n) => head(truth, n)), truth, { from: 3, to: 10 });
    expect(report.ok).toBe(false);
    expect(report.missed).toEqual([5, 6]);
    expect(report.gaps).toEqual([{ after: 4, next: 7 }]);
    expect(report.maxGapBlocks).toBe(2);
  });

  it('reports duplicates and late (out-of-order) deliveries', () => {
    const truth = chain(6);
    const report = checkNewHeads([2, 3, 3, 5, 4, 6].map((n) => head(truth, n)), truth, { from: 2, to: 6 });
    expect(report.duplicates).toEqual([{ number: 3, hash: truth.block(3)!.hash, count: 2 }]);
    expect(report.duplicateCount).toBe(1);
    expect(report.outOfOrder).toHaveLength(1);
    expect(report.missed).toEqual([]);
    expect(report.ok).toBe(false);
  });

  it('flags hashes the devnet never mined and malformed notifications', () => {
    const truth = chain(3);
    const { heads, malformed } = headsFromNotifications([
      { number: '0x2', hash: truth.block(2)!.hash, parentHash: truth.block(1)!.hash },
      { number: '0x3', hash: hash('bogus'), parentHash: truth.block(2)!.hash },
      { nope: true },
    ]);
    const report = checkNewHeads(heads, truth, { from: 2, to: 3 }, malformed);
    expect(report.unknown).toEqual([{ number: 3, hash: hash('bogus') }]);
    expect(report.malformed).toBe(1);
    expect(report.missed).toEqual([3]);
  });

  it('accepts a reorg delivered from the fork point', () => {
    const truth = chain(8);
    const before = [4, 5, 6, 7, 8].map((n) => head(truth, n));
    reorg(truth, 2, 3); // 7, 8 orphaned; 7', 8', 9' canonical
    const after = [7, 8, 9].map((n) => head(truth, n));
    const report = checkNewHeads([...before, ...after], truth, { from: 4, to: 9 });
    expect(report.reorgErrors).toEqual([]);
    expect(report.reorgsDelivered).toBe(1);
    expect(report.ok).toBe(true);
  });

  it('reports a new branch that skips the fork point, and orphans never replaced', () => {
    const truth = chain(8);
    const before = [4, 5, 6, 7, 8].map((n) => head(truth, n));
    reorg(truth, 2, 3);
    // The client only gets 9' on top of its orphaned 8.
    const report = checkNewHeads([...before, head(truth, 9)], truth, { from: 4, to: 9 });
    expect(report.ok).toBe(false);
    expect(report.missed).toEqual([7, 8]);
    expect(report.reorgErrors.map((e) => e.kind)).toEqual(['parent_mismatch', 'not_replaced', 'not_replaced']);
  });

  it('reports a rewind that does not start right above the common ancestor', () => {
    const truth = chain(8);
    const before = [4, 5, 6, 7, 8].map((n) => head(truth, n));
    reorg(truth, 2, 3);
    const report = checkNewHeads([...before, head(truth, 8), head(truth, 9)], truth, { from: 4, to: 9 });
    expect(report.reorgErrors.map((e) => e.kind)).toContain('not_from_fork_point');
    expect(report.missed).toEqual([7]);
  });
});

describe('checkLogs', () => {
  const filter = { address: EMITTER };

  it('accepts every canonical log of the window exactly once, in order', () => {
    const truth = chain(5);
    const delivered = truth.blocks(2, 5).flatMap(liveLogs);
    const report = checkLogs(delivered, truth, { from: 2, to: 5 }, filter);
    expect(report).toMatchObject({ ok: true, expected: 8, delivered: 8, removedDelivered: 0 });
  });

  it('reports missed, duplicate, unknown and out-of-order logs', () => {
    const truth = chain(5);
    const [b2, b3, b4] = [truth.block(2)!, truth.block(3)!, truth.block(4)!];
    const delivered: DeliveredLog[] = [
      ...liveLogs(b2),
      liveLogs(b4)[0]!,
      ...liveLogs(b3),
      liveLogs(b3)[1]!,
      { blockNumber: 5, blockHash: hash('nope'), logIndex: 0, removed: false },
    ];
    const report = checkLogs(delivered, truth, { from: 2, to: 5 }, filter);
    expect(report.ok).toBe(false);
    expect(report.missed.map((m) => `${m.blockNumber}:${m.logIndex}`)).toEqual(['4:1', '5:0', '5:1']);
    expect(report.duplicateCount).toBe(1);
    expect(report.unknown).toHaveLength(1);
    expect(report.outOfOrder.map((o) => o.blockNumber)).toEqual([3]);
  });

  it('accepts a reorg: removed: true for the orphaned logs, then the new ones', () => {
    const truth = chain(6);
    const before = truth.blocks(3, 6).flatMap(liveLogs);
    const orphans = truth.blocks(5, 6);
    reorg(truth, 2, 3);
    const removed = [...orphans].reverse().flatMap(removedLogs);
    const replacement = truth.blocks(5, 7).flatMap(liveLogs);
    const report = checkLogs([...before, ...removed, ...replacement], truth, { from: 3, to: 7 }, filter);
    expect(report.reorgErrors).toEqual([]);
    expect(report.removedDelivered).toBe(4);
    expect(report.ok).toBe(true);
  });

  it('reports new logs that come before the removal, and orphaned logs never removed', () => {
    const truth = chain(6);
    const before = truth.blocks(3, 6).flatMap(liveLogs);
    const orphans = truth.blocks(5, 6);
    reorg(truth, 2, 3);
    const replacement = truth.blocks(5, 7).flatMap(liveLogs);
    const late = checkLogs([...before, ...replacement, ...orphans.flatMap(removedLogs)], truth, { from: 3, to: 7 }, filter);
    expect(late.reorgErrors.map((e) => e.kind)).toEqual(['removed_after_replacement', 'removed_after_replacement', 'removed_after_replacement', 'removed_after_replacement']);
    const never = checkLogs([...before, ...replacement], truth, { from: 3, to: 7 }, filter);
    expect(never.reorgErrors.filter((e) => e.kind === 'removed_after_replacement')).toHaveLength(4);
    const neverNoNew = checkLogs(before, truth, { from: 3, to: 4 }, filter);
    expect(neverNoNew.reorgErrors.map((e) => e.kind)).toEqual(['missing_removed', 'missing_removed', 'missing_removed', 'missing_removed']);
  });

  it('reports removals of logs the client never had, or that are still canonical', () => {
    const truth = chain(4);
    const b3 = truth.block(3)!;
    const report = checkLogs([...liveLogs(b3), ...removedLogs(b3), ...removedLogs(b3)], truth, { from: 3, to: 3 }, filter);
    const kinds = report.reorgErrors.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'removed_canonical')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'spurious_removed')).toHaveLength(2); // the second removal of each log
  });

  it('only expects logs that match the filter', () => {
    const truth = chain(3);
    const report = checkLogs([], truth, { from: 1, to: 3 }, { address: '0x0000000000000000000000000000000000000001' });
    expect(report).toMatchObject({ expected: 0, ok: true, deliveryRatio: 1 });
    const parsed = logsFromNotifications([{ blockNumber: '0x1', blockHash: hash('x'), logIndex: '0x0', removed: true }, 'junk']);
    expect(parsed.malformed).toBe(1);
    expect(parsed.logs[0]).toMatchObject({ blockNumber: 1, logIndex: 0, removed: true });
  });
});
