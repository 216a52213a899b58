import { describe, expect, it } from 'vitest';
import { parseTransaction } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { TransferSupply } from '../../../src/chaos/workload/tx-supply.js';

describe('transfer supply', () => {
  it('hands out consecutive nonces in order, also when the buffer is empty', async () => {
    const supply = new TransferSupply({ chainId: 1337, senders: [{ privateKey: generatePrivateKey(), nonce: 5 }], recipient: `0x${'11'.repeat(20)}`, baseFeePerGas: 1_000_000_000n, bufferSize: 2 });
    const raws = await Promise.all([supply.next(), supply.next(), supply.next()]);
    await supply.prepare();
    raws.push(await supply.next());
    expect(raws.map((raw) => parseTransaction(raw).nonce)).toEqual([5, 6, 7, 8]);
  });
});
