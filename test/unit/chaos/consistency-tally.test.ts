import { describe, expect, it } from 'vitest';
import { ConsistencyTally } from '../../../src/chaos/workload/consistency-tally.js';

describe('consistency tally', () => {
  it('counts heads going backwards against what this client was already given', () => {
    const t = new ConsistencyTally();
    t.head(10, 10, 10);
    t.head(11, 11, 11);
    t.head(10, 11, 11);
    t.head(11, 11, 11);
    expect(t.summary()).toMatchObject({ headReads: 4, headsBackwards: 1, olderLatest: 0, bogusHeads: 0 });
    expect(t.summary().examples).toEqual(['eth_blockNumber 10 after 11 was returned']);
  });

  it('counts latest blocks older than a head already returned, and a latest block raises the bar for heads', () => {
    const t = new ConsistencyTally();
    t.head(12, 12, 12);
    t.latestBlock(11, 12, 12);
    t.latestBlock(13, 13, 13);
    t.head(12, 13, 13);
    expect(t.summary()).toMatchObject({ latestReads: 2, olderLatest: 1, headsBackwards: 1 });
  });

  it('a head one above the canonical one is a block being mined; beyond that it is bogus', () => {
    const t = new ConsistencyTally();
    t.head(21, 20, 20);
    t.head(1020, 20, 20);
    t.latestBlock(23, 20, 21);
    expect(t.summary().bogusHeads).toBe(2);
  });

  it('a reorg that shortens the chain for a moment does not make the orphaned tip bogus', () => {
    const t = new ConsistencyTally();
    t.head(13, 13, 13);
    t.head(13, 11, 11); // rolled back 2 blocks, the new branch not mined yet
    t.latestBlock(14, 11, 12);
    expect(t.summary()).toMatchObject({ bogusHeads: 0, headsBackwards: 0 });
  });

  it('staleness is the canonical head before the read minus the answer, as p50 / p99 / max', () => {
    const t = new ConsistencyTally();
    for (let i = 0; i < 98; i++) t.head(100 + i, 100 + i, 100 + i);
    t.head(198, 199, 199);
    t.head(198, 201, 201);
    expect(t.summary().stalenessBlocks).toEqual({ p50: 0, p99: 3, max: 3 });
    expect(new ConsistencyTally().summary().stalenessBlocks).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it('a read after a receipt that misses the transaction is stale, unless the block was reorged out', () => {
    const t = new ConsistencyTally();
    t.afterReceipt(true, true, 'ok');
    t.afterReceipt(false, true, 'balance 0 (expected >= 1)');
    t.afterReceipt(false, false, 'reorged');
    t.receiptTimeout();
    t.failedRead('eth_blockNumber: client_timeout');
    expect(t.summary()).toMatchObject({ receipts: 3, staleAfterReceipt: 1, reorgedAfterReceipt: 1, receiptTimeouts: 1, failedReads: 1, examples: ['balance 0 (expected >= 1)'], failures: ['eth_blockNumber: client_timeout'] });
  });
});
