import { JsonRpcProvider, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

/** viem and ethers pointed at Lasso must work unchanged. */
describe('viem and ethers through Lasso', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
    for (let i = 0; i < 4; i++) await cluster.devnet.mineBlock();
    await cluster.caughtUp();
  });
  afterAll(async () => cluster?.close());

  const expectedLogs = () =>
    [...Array(cluster.devnet.canonical.head() + 1).keys()].flatMap((n) => cluster.devnet.canonical.block(n)?.logs ?? []);

  it('viem: block number, balance, logs, a batch, and a raw transaction', async () => {
    const client = createPublicClient({ transport: http(cluster.rpcUrl, { batch: true }) });
    const [blockNumber, balance, chainId] = await Promise.all([
      client.getBlockNumber(),
      client.getBalance({ address: cluster.devnet.accounts[1]!.address }),
      client.getChainId(),
    ]);
    expect(Number(blockNumber)).toBe(cluster.devnet.canonical.head());
    expect(balance).toBeGreaterThan(0n);
    expect(chainId).toBe(cluster.devnet.chainId);

    const logs = await client.getLogs({ address: cluster.devnet.contracts.emitter, fromBlock: 0n, toBlock: 'latest' });
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.map((l) => `${l.blockHash}:${l.logIndex}`)).toEqual(expectedLogs().map((l) => `${l.blockHash}:${Number(l.logIndex)}`));

    const sender = privateKeyToAccount(cluster.devnet.testAccount(0).privateKey);
    const nonce = await client.getTransactionCount({ address: sender.address, blockTag: 'pending' });
    const gasPrice = await client.getGasPrice();
    const raw = await sender.signTransaction({
      chainId: cluster.devnet.chainId,
      to: cluster.devnet.accounts[1]!.address,
      value: parseEther('0.01'),
      nonce,
      gas: 21_000n,
      gasPrice: gasPrice * 2n,
      type: 'legacy',
    });
    const hash = await client.sendRawTransaction({ serializedTransaction: raw });
    await cluster.devnet.mineBlock();
    const receipt = await waitFor(() => client.getTransactionReceipt({ hash }).catch(() => undefined), { timeoutMs: 5000, what: 'receipt' });
    expect(receipt.status).toBe('success');
  });

  it('ethers: block number, balance, logs and a raw transaction', async () => {
    const provider = new JsonRpcProvider(cluster.rpcUrl, cluster.devnet.chainId, { staticNetwork: true });
    try {
      expect(await provider.getBlockNumber()).toBe(cluster.devnet.canonical.head());
      expect(await provider.getBalance(cluster.devnet.accounts[1]!.address)).toBeGreaterThan(0n);
      const logs = await provider.getLogs({ address: cluster.devnet.contracts.emitter, fromBlock: 0, toBlock: 'latest' });
      expect(logs.map((l) => `${l.blockHash}:${l.index}`)).toEqual(expectedLogs().map((l) => `${l.blockHash}:${Number(l.logIndex)}`));

      const wallet = new Wallet(cluster.devnet.testAccount(1).privateKey, provider);
      const tx = await wallet.sendTransaction({ to: cluster.devnet.accounts[2]!.address, value: 1000n });
      await cluster.devnet.mineBlock();
      const receipt = await waitFor(() => provider.getTransactionReceipt(tx.hash), { timeoutMs: 5000, what: 'receipt' });
      expect(receipt.status).toBe(1);
    } finally {
      provider.destroy();
    }
  });
});
