import { describe, expect, it } from 'vitest';
import { RpcError, RpcErrorCode } from '../../../src/jsonrpc/errors.js';
import { defaultMethodTimeoutMs, isReplaySafe, methodPolicy } from '../../../src/jsonrpc/method-policy.js';

describe('refused methods', () => {
  it.each([
    'eth_sendTransaction',
    'eth_sign',
    'personal_sign',
    'eth_signTransaction',
    'eth_accounts',
    'eth_requestAccounts',
    'eth_signTypedData',
    'eth_signTypedData_v3',
    'eth_signTypedData_v4',
    'personal_unlockAccount',
    'personal_sendTransaction',
    'personal_signTypedData',
  ])('%s is never forwarded: -32601 saying Lasso never holds keys', (method) => {
    const p = methodPolicy(method);
    expect(p.forward).toBe(false);
    expect(p.refusal).toBeInstanceOf(RpcError);
    expect(p.refusal?.code).toBe(RpcErrorCode.MethodNotFound);
    expect(p.refusal?.message).toContain('never holds private keys');
    expect(p.refusal?.toResponse(4)).toMatchObject({ jsonrpc: '2.0', id: 4, error: { code: -32601 } });
    expect(p.replaySafe).toBe(false);
  });

  it('subscriptions over HTTP are refused and point to the WebSocket route', () => {
    for (const m of ['eth_subscribe', 'eth_unsubscribe']) {
      const p = methodPolicy(m);
      expect(p.forward).toBe(false);
      expect(p.refusal?.code).toBe(-32601);
      expect(p.refusal?.message).toContain('subscriptions need a WebSocket: use /ws/rpc/:chain');
    }
  });

  it('subscriptions over WebSocket go to the subscription layer', () => {
    expect(methodPolicy('eth_subscribe', { transport: 'ws' })).toMatchObject({ forward: false, subscription: true });
    expect(methodPolicy('eth_subscribe', { transport: 'ws' }).refusal).toBeUndefined();
  });

  it('rpc.* names are reserved; filters are refused unless Lasso answers them (never forwarded: provider-local state)', () => {
    expect(methodPolicy('rpc.discover').refusal?.message).toContain('reserved');
    const filterMethods = ['eth_newFilter', 'eth_newBlockFilter', 'eth_newPendingTransactionFilter', 'eth_getFilterChanges', 'eth_getFilterLogs', 'eth_uninstallFilter'];
    for (const m of filterMethods) {
      expect(methodPolicy(m)).toMatchObject({ forward: false, refusal: { code: -32601 } });
      for (const transport of ['http', 'ws'] as const) {
        const policy = methodPolicy(m, { filters: true, transport });
        expect(policy).toMatchObject({ forward: false, filter: true });
        expect(policy.refusal).toBeUndefined();
      }
    }
    expect(methodPolicy('eth_getLogs', { filters: true }).filter).toBeUndefined();
  });
});

describe('replay safety', () => {
  it.each([
    'eth_call',
    'eth_getBalance',
    'eth_getLogs',
    'eth_getBlockByNumber',
    'eth_getTransactionReceipt',
    'eth_estimateGas',
    'eth_blockNumber',
    'eth_chainId',
    'net_version',
    'web3_clientVersion',
    'eth_feeHistory',
    'eth_gasPrice',
    'eth_maxPriorityFeePerGas',
    'eth_syncing',
    'debug_traceTransaction',
    'debug_traceCall',
    'trace_block',
    'eth_getProof',
  ])('%s is replay-safe', (m) => {
    expect(isReplaySafe(m)).toBe(true);
    expect(methodPolicy(m)).toMatchObject({ forward: true, replaySafe: true });
  });

  it.each([
    'eth_sendRawTransaction',
    'eth_sendTransaction',
    'personal_sign',
    'anvil_mine',
    'evm_mine',
    'evm_increaseTime',
    'hardhat_setBalance',
    'debug_setHead',
    'miner_start',
    'admin_addPeer',
    'eth_getFilterChanges',
    'totally_unknown',
    'eth_somethingNew',
    'constructor',
    '__proto__',
  ])('%s is not replay-safe', (m) => {
    expect(isReplaySafe(m)).toBe(false);
    expect(methodPolicy(m).replaySafe).toBe(false);
  });

  it('unknown, state-changing methods are still forwarded (once)', () => {
    expect(methodPolicy('anvil_mine')).toMatchObject({ forward: true, replaySafe: false, timeoutMs: 10_000 });
    expect(methodPolicy('eth_sendRawTransaction')).toMatchObject({ forward: true, replaySafe: false });
  });
});

describe('timeouts', () => {
  it.each([
    ['eth_chainId', 1000],
    ['net_version', 1000],
    ['eth_blockNumber', 1000],
    ['eth_getBalance', 2000],
    ['eth_getBlockByNumber', 2000],
    ['eth_getBlockByHash', 2000],
    ['eth_getTransactionByHash', 2000],
    ['eth_getTransactionByBlockNumberAndIndex', 2000],
    ['eth_gasPrice', 2000],
    ['eth_getCode', 2000],
    ['eth_getTransactionCount', 2000],
    ['eth_getTransactionReceipt', 3000],
    ['eth_getBlockReceipts', 3000],
    ['eth_call', 5000],
    ['eth_estimateGas', 5000],
    ['eth_getLogs', 5000],
    ['debug_traceTransaction', 30_000],
    ['trace_filter', 30_000],
    ['eth_sendRawTransaction', 10_000],
    ['whatever', 10_000],
  ] as const)('%s -> %d ms', (m, ms) => {
    expect(defaultMethodTimeoutMs(m)).toBe(ms);
    expect(methodPolicy(m).timeoutMs).toBe(ms);
  });

  it('config overrides win, exact names only, prototype names ignored', () => {
    const timeoutOverridesMs = { eth_call: 4000 };
    expect(methodPolicy('eth_call', { timeoutOverridesMs }).timeoutMs).toBe(4000);
    expect(methodPolicy('eth_getLogs', { timeoutOverridesMs }).timeoutMs).toBe(5000);
    expect(methodPolicy('constructor', { timeoutOverridesMs }).timeoutMs).toBe(10_000);
    expect(methodPolicy('toString', { timeoutOverridesMs }).timeoutMs).toBe(10_000);
  });
});
