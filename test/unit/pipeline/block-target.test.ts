import { describe, expect, it } from 'vitest';
import { resolveBlockTarget } from '../../../src/pipeline/block-target.js';

const heights = { latest: 0x64, safe: 0x60, finalized: 0x50 };
const addr = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

describe('resolveBlockTarget', () => {
  it('fixes latest, safe and finalized to the numbers they mean now', () => {
    expect(resolveBlockTarget('eth_getBalance', [addr, 'latest'], heights)).toEqual({ params: [addr, '0x64'], target: { kind: 'number', number: 100, moving: true } });
    expect(resolveBlockTarget('eth_getBlockByNumber', ['safe', false], heights).params).toEqual(['0x60', false]);
    expect(resolveBlockTarget('eth_getBlockByNumber', ['finalized', true], heights).params).toEqual(['0x50', true]);
  });

  it('appends the number when an optional block parameter is omitted', () => {
    expect(resolveBlockTarget('eth_call', [{ to: addr }], heights).params).toEqual([{ to: addr }, '0x64']);
    expect(resolveBlockTarget('eth_estimateGas', [{ to: addr }], heights).params).toEqual([{ to: addr }]);
  });

  it('leaves pending, numbers and hashes as they are; pending state targets the head', () => {
    const pending = [addr, 'pending'];
    expect(resolveBlockTarget('eth_getTransactionCount', pending, heights)).toEqual({ params: pending, target: { kind: 'number', number: 100, moving: true } });
    expect(resolveBlockTarget('eth_fillTransaction', [{ from: addr }], heights).target).toEqual({ kind: 'number', number: 100, moving: true });
    expect(resolveBlockTarget('eth_getBalance', [addr, '0x10'], heights).target).toEqual({ kind: 'number', number: 16, moving: false });
    const hash = `0x${'ab'.repeat(32)}`;
    expect(resolveBlockTarget('eth_getBlockByHash', [hash, false], heights).target).toEqual({ kind: 'hash', hash });
    expect(resolveBlockTarget('eth_call', [{}, { blockHash: hash }], heights).target).toEqual({ kind: 'hash', hash });
  });

  it('fixes the tags of a log filter and targets its last block', () => {
    const r = resolveBlockTarget('eth_getLogs', [{ address: addr, fromBlock: '0x10' }], heights);
    expect(r.params).toEqual([{ address: addr, fromBlock: '0x10', toBlock: '0x64' }]);
    expect(r.target).toEqual({ kind: 'number', number: 100, moving: true });
  });

  it('does not touch a request while the head is unknown', () => {
    const params = [addr, 'latest'];
    expect(resolveBlockTarget('eth_getBalance', params, { latest: undefined, safe: undefined, finalized: undefined })).toEqual({ params, target: { kind: 'none' } });
  });
});
