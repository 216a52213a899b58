import { describe, expect, it } from 'vitest';
import { finalityOf, isCacheableRequest } from '../../../src/cache/policy.js';
import type { AnswerFacts, CacheTarget, FinalityView, PolicyInput } from '../../../src/cache/policy.js';
import { resolveBlockTarget } from '../../../src/pipeline/block-target.js';

const HASH_90 = `0x${'90'.repeat(32)}`;
const HASH_105 = `0x${'a5'.repeat(32)}`;
const TX = `0x${'77'.repeat(32)}`;
const ADDRESS = `0x${'11'.repeat(20)}`;

/** Head 110, finalized 100; hashes known for 90 and 105. */
const VIEW: FinalityView = {
  head: 110,
  finalized: 100,
  hashAt: (n) => (n === 90 ? HASH_90 : n === 105 ? HASH_105 : undefined),
};
const HEIGHTS = { latest: 110, safe: 105, finalized: 100 };
const RESULT: AnswerFacts = { kind: 'result', isNull: false, isEmpty: false };
const NULL: AnswerFacts = { kind: 'result', isNull: true, isEmpty: false };
const EMPTY: AnswerFacts = { kind: 'result', isNull: false, isEmpty: true };

/** The policy for a request as the client sent it: tags resolved by the chain view first, as the pipeline does. */
function policy(method: string, params: unknown[], answer: AnswerFacts = RESULT, view: FinalityView = VIEW) {
  const { params: resolved, target } = resolveBlockTarget(method, params, HEIGHTS);
  const input: PolicyInput = { method, params: resolved, target, answer, view, unfinalizedTtlMs: 2000 };
  return { finality: finalityOf(input), params: resolved };
}

describe('cache finality policy', () => {
  it('keeps final data until evicted: state and blocks at or below the finalized height', () => {
    for (const [method, params] of [
      ['eth_getBalance', [ADDRESS, '0x5a']],
      ['eth_getCode', [ADDRESS, '0x64']],
      ['eth_getStorageAt', [ADDRESS, '0x0', '0x5a']],
      ['eth_call', [{ to: ADDRESS, data: '0x12' }, '0x5a']],
      ['eth_getTransactionCount', [ADDRESS, '0x5a']],
      ['eth_getProof', [ADDRESS, [], '0x5a']],
      ['eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x64' }]],
      ['eth_getBlockReceipts', ['0x5a']],
    ] as const) {
      expect(policy(method, [...params]).finality, method).toEqual({ kind: 'final' });
    }
    expect(policy('eth_getBlockByNumber', ['0x5a', false], { ...RESULT, blockNumber: 90, blockHash: HASH_90 }).finality).toEqual({ kind: 'final' });
  });

  it('keeps blocks, transactions and receipts by hash as final once their block is final', () => {
    const minedIn90: AnswerFacts = { ...RESULT, blockNumber: 90, blockHash: HASH_90 };
    expect(policy('eth_getBlockByHash', [HASH_90, false], minedIn90).finality).toEqual({ kind: 'final' });
    expect(policy('eth_getTransactionByHash', [TX], minedIn90).finality).toEqual({ kind: 'final' });
    expect(policy('eth_getTransactionReceipt', [TX], minedIn90).finality).toEqual({ kind: 'final' });
    const minedIn105: AnswerFacts = { ...RESULT, blockNumber: 105, blockHash: HASH_105 };
    expect(policy('eth_getTransactionReceipt', [TX], minedIn105).finality).toEqual({ kind: 'unfinalized', number: 105, hash: HASH_105, ttlMs: 2000 });
  });

  it('keeps chain constants', () => {
    expect(policy('net_version', []).finality).toEqual({ kind: 'final' });
    expect(policy('eth_chainId', []).finality).toEqual({ kind: 'final' });
  });

  it('keys the finalized tag by the number it means, never by the tag', () => {
    const { finality, params } = policy('eth_getBalance', [ADDRESS, 'finalized']);
    expect(params).toEqual([ADDRESS, '0x64']);
    expect(finality).toEqual({ kind: 'final' });
    expect(policy('eth_getBlockByNumber', ['finalized', false], { ...RESULT, blockNumber: 100 }).params).toEqual(['0x64', false]);
  });

  it('keeps unfinalized data for a short TTL, tied to its block (number, hash)', () => {
    const latest = policy('eth_getBalance', [ADDRESS, 'latest']);
    expect(latest.params).toEqual([ADDRESS, '0x6e']);
    expect(latest.finality).toEqual({ kind: 'unfinalized', number: 110, ttlMs: 2000 });
    // An omitted block parameter means latest.
    expect(policy('eth_getBalance', [ADDRESS]).params).toEqual([ADDRESS, '0x6e']);
    expect(policy('eth_getBalance', [ADDRESS, 'safe']).finality).toEqual({ kind: 'unfinalized', number: 105, hash: HASH_105, ttlMs: 2000 });
    expect(policy('eth_getBlockByNumber', ['0x69', false], { ...RESULT, blockNumber: 105, blockHash: HASH_105 }).finality).toEqual({
      kind: 'unfinalized',
      number: 105,
      hash: HASH_105,
      ttlMs: 2000,
    });
    // Logs only over final ranges: the range's end decides.
    expect(policy('eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x69' }]).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getLogs', [{ fromBlock: '0x1', toBlock: 'latest' }]).finality).toEqual({ kind: 'never' });
  });

  it('never keeps anything pending', () => {
    expect(policy('eth_getBalance', [ADDRESS, 'pending']).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getTransactionCount', [ADDRESS, 'pending']).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getBlockByNumber', ['pending', false], { ...RESULT, blockNumber: 111 }).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getLogs', [{ fromBlock: '0x1', toBlock: 'pending' }]).finality).toEqual({ kind: 'never' });
    expect(policy('eth_call', [{ to: ADDRESS }, 'pending']).finality).toEqual({ kind: 'never' });
  });

  it('never keeps null or empty answers at or above the head', () => {
    expect(policy('eth_getLogs', [{ fromBlock: '0x6e', toBlock: '0x6e' }], EMPTY).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getLogs', [{ fromBlock: '0x1' }], EMPTY).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getBlockByNumber', ['0x6f', false], NULL).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getTransactionByBlockNumberAndIndex', ['0x6e', '0x0'], NULL).finality).toEqual({ kind: 'never' });
    // Below the head an empty answer is an answer: no logs in a final range.
    expect(policy('eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x5a' }], EMPTY).finality).toEqual({ kind: 'final' });
    // Without a head nothing empty is kept.
    expect(policy('eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x5a' }], EMPTY, { ...VIEW, head: undefined }).finality).toEqual({ kind: 'never' });
  });

  it('never keeps a block, transaction or receipt that was not found (or not mined yet)', () => {
    expect(policy('eth_getBlockByNumber', ['0x5a', false], NULL).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getBlockByHash', [HASH_90, false], NULL).finality).toEqual({ kind: 'never' });
    expect(policy('eth_getTransactionReceipt', [TX], NULL).finality).toEqual({ kind: 'never' });
    // A pending transaction names no block.
    expect(policy('eth_getTransactionByHash', [TX], RESULT).finality).toEqual({ kind: 'never' });
  });

  it('keeps errors only when deterministic, and then only briefly', () => {
    const revert: AnswerFacts = { kind: 'error', deterministic: true };
    expect(policy('eth_call', [{ to: ADDRESS }, '0x5a'], revert).finality).toEqual({ kind: 'unfinalized', number: 90, hash: HASH_90, ttlMs: 2000 });
    expect(policy('eth_call', [{ to: ADDRESS }, '0x5a'], { kind: 'error', deterministic: false }).finality).toEqual({ kind: 'never' });
    // No block to tie it to.
    expect(policy('eth_getTransactionReceipt', [TX], revert).finality).toEqual({ kind: 'never' });
  });

  it('never keeps writes, filters, subscriptions or reads that are not about a block', () => {
    for (const method of [
      'eth_sendRawTransaction',
      'eth_sendTransaction',
      'eth_newFilter',
      'eth_newBlockFilter',
      'eth_newPendingTransactionFilter',
      'eth_getFilterChanges',
      'eth_getFilterLogs',
      'eth_uninstallFilter',
      'eth_subscribe',
      'eth_unsubscribe',
      'eth_gasPrice',
      'eth_estimateGas',
      'eth_feeHistory',
      'eth_syncing',
      'web3_clientVersion',
    ]) {
      expect(policy(method, ['0x5a']).finality, method).toEqual({ kind: 'never' });
    }
  });

  it('does not look up reads about a block it cannot name (no head yet, or state by block hash)', () => {
    const none: CacheTarget = { kind: 'none' };
    expect(isCacheableRequest('eth_getBalance', [ADDRESS, 'latest'], none)).toBe(false);
    expect(isCacheableRequest('net_version', [], none)).toBe(true);
    expect(isCacheableRequest('eth_getTransactionReceipt', [TX], none)).toBe(true);
    // Cacheable request, but the block's height (and so its finality) is unknown.
    expect(policy('eth_getBalance', [ADDRESS, { blockHash: HASH_90 }]).finality).toEqual({ kind: 'never' });
  });
});
