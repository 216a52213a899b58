/** The bounded memories of the engine: block ring, block time estimate, delivered logs, client fan-out. */
import { describe, expect, it } from 'vitest';
import { RpcError } from '../../../src/jsonrpc/errors.js';
import { BlockRing } from '../../../src/subscriptions/block-ring.js';
import { BlockTimeEstimator } from '../../../src/subscriptions/block-time.js';
import { parseBlock, toHeader } from '../../../src/subscriptions/block.js';
import { ClientSet } from '../../../src/subscriptions/client-set.js';
import { DeliveredLogs, parseLog } from '../../../src/subscriptions/log-entry.js';

const h = (n: number, branch = 'a') => `0x${branch.repeat(2)}${n.toString(16).padStart(62, '0')}`;
const block = (n: number, branch = 'a', parentBranch = branch) => ({ number: n, hash: h(n, branch), parentHash: h(n - 1, parentBranch) });

describe('BlockRing', () => {
  it('keeps the last `capacity` blocks and truncates above a fork point', () => {
    const ring = new BlockRing(4);
    for (let n = 10; n <= 15; n++) ring.push(block(n));
    expect(ring.size).toBe(4);
    expect(ring.oldest()).toBe(12);
    expect(ring.tip()).toEqual({ number: 15, hash: h(15) });
    expect(ring.hashAt(11)).toBeUndefined();
    expect(ring.truncateAbove(13)).toEqual([
      { number: 14, hash: h(14) },
      { number: 15, hash: h(15) },
    ]);
    expect(ring.tip()?.number).toBe(13);
    ring.push(block(14, 'b', 'a'));
    expect(ring.hashAt(14)).toBe(h(14, 'b'));
  });

  it('re-anchors when a block does not follow the tip', () => {
    const ring = new BlockRing(8);
    ring.push(block(1));
    ring.push(block(5));
    expect(ring.size).toBe(1);
    expect(ring.oldest()).toBe(5);
  });
});

describe('BlockTimeEstimator', () => {
  it('starts at the ceiling, learns from consecutive heads only, and clamps', () => {
    const est = new BlockTimeEstimator(100, 10_000);
    expect(est.blockTimeMs).toBe(10_000);
    est.observe(1, 0);
    est.observe(3, 5_000); // gap: no sample
    expect(est.blockTimeMs).toBe(10_000);
    est.observe(4, 5_200);
    expect(est.blockTimeMs).toBe(200);
    est.observe(5, 5_210); // clamped to the floor
    expect(est.blockTimeMs).toBeCloseTo(180, 5);
    est.resetSequence();
    est.observe(6, 60_000); // no sample across a reset
    expect(est.blockTimeMs).toBeCloseTo(180, 5);
  });
});

describe('blocks and logs', () => {
  it('reduces any block object to the newHeads header shape', () => {
    const raw = { number: '0x2', hash: h(2).toUpperCase().replace('0X', '0x'), parentHash: h(1), transactions: ['0x1'], uncles: [], size: '0x1', withdrawals: [], totalDifficulty: '0x0', miner: '0x0' };
    const parsed = parseBlock(raw);
    expect(parsed).toMatchObject({ number: 2, hash: h(2), parentHash: h(1) });
    expect(parsed?.header).toEqual({ number: '0x2', hash: raw.hash, parentHash: h(1), miner: '0x0' });
    expect(toHeader({ a: 1, transactions: [] })).toEqual({ a: 1 });
    expect(parseBlock({ number: 'x' })).toBeUndefined();
    expect(parseBlock(null)).toBeUndefined();
  });

  it('remembers delivered logs per block for dedupe and reorg removal, bounded', () => {
    const logs = new DeliveredLogs(2);
    const log = (n: number, i: number) => parseLog({ blockHash: h(n), blockNumber: `0x${n.toString(16)}`, logIndex: `0x${i.toString(16)}` })!;
    logs.record(log(1, 1));
    logs.record(log(1, 0));
    expect(logs.has(log(1, 0))).toBe(true);
    expect(logs.take(h(1)).map((l) => l.logIndex)).toEqual([0, 1]);
    expect(logs.isProcessed(h(1))).toBe(false);
    logs.open({ number: 2, hash: h(2) });
    logs.open({ number: 3, hash: h(3) });
    logs.open({ number: 4, hash: h(4) });
    expect(logs.isProcessed(h(2))).toBe(false);
    expect(logs.isProcessed(h(4))).toBe(true);
    expect(parseLog({ blockHash: h(1) })).toBeUndefined();
  });
});

describe('ClientSet', () => {
  it('drops a client whose sink refuses or throws, and keeps delivering to the others', () => {
    const dropped: string[] = [];
    const set = new ClientSet((id) => dropped.push(id));
    const got: unknown[] = [];
    set.add('ok', { deliver: (r) => (got.push(r), true), end: () => undefined });
    set.add('full', { deliver: () => false, end: () => undefined });
    set.add('broken', { deliver: () => { throw new Error('boom'); }, end: () => undefined });
    set.deliver(1);
    set.deliver(2);
    expect(got).toEqual([1, 2]);
    expect(dropped).toEqual(['full', 'broken']);
    const ended: RpcError[] = [];
    set.add('x', { deliver: () => true, end: (e) => ended.push(e) });
    set.endAll(new RpcError(-32000, 'gap'));
    expect(ended).toHaveLength(1);
    expect(set.size).toBe(0);
  });
});
