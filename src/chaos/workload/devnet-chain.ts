import type { Address, Hex } from 'viem';
import { COUNT_SELECTOR, REVERT_SELECTOR } from '../../devnet/index.js';
import type { Devnet } from '../../devnet/index.js';
import { createPrng } from '../prng.js';
import type { WorkloadChain } from './methods.js';
import { TransferSupply } from './tx-supply.js';

export interface DevnetWorkloadChainOptions {
  /** Seed of the transfer recipient. */
  seed: number;
  /** Prepare signed transfers for `eth_sendRawTransaction` (how many to sign ahead). 0: none. @default 0 */
  transactions?: number;
}

/**
 * A {@link WorkloadChain} over a devnet: balances of the dev accounts, the emitter contract for
 * eth_call / eth_getLogs, the canonical head for ranges, and (optionally) signed transfers from the
 * free test accounts, with nonces read from an in-sync node.
 */
export async function devnetWorkloadChain(devnet: Devnet, options: DevnetWorkloadChainOptions): Promise<WorkloadChain & { supply?: TransferSupply }> {
  const chain: WorkloadChain & { supply?: TransferSupply } = {
    addresses: devnet.accounts.map((a) => a.address),
    emitter: devnet.contracts.emitter,
    callData: COUNT_SELECTOR,
    revertData: REVERT_SELECTOR,
    head: () => devnet.canonical.head(),
  };
  const count = options.transactions ?? 0;
  if (count > 0) {
    const node = devnet.nodes().find((n) => n.inSync) ?? devnet.nodes()[0];
    if (!node) throw new Error('devnet has no node');
    const senders = await Promise.all(
      devnet.freeAccounts.map(async (a) => ({ privateKey: a.privateKey, nonce: await pendingNonce(node.httpUrl, a.address) })),
    );
    const recipient = seededAddress(options.seed);
    const supply = new TransferSupply({
      chainId: devnet.chainId,
      senders,
      recipient,
      baseFeePerGas: devnet.canonical.headBlock().baseFeePerGas,
      bufferSize: Math.max(16, Math.min(count, 512)),
    });
    await supply.prepare(Math.min(count, 2048));
    chain.supply = supply;
    chain.nextRawTransaction = () => supply.next();
  }
  return chain;
}

/** A fresh address that only this seed produces (a recipient nothing else touches). */
export function seededAddress(seed: number): Address {
  const prng = createPrng(seed);
  return `0x${Array.from({ length: 40 }, () => '0123456789abcdef'[prng.nextInt(16)]).join('')}` as Address;
}

async function pendingNonce(httpUrl: string, address: Address): Promise<number> {
  const res = await fetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getTransactionCount', params: [address, 'pending'] }),
  });
  const body = (await res.json()) as { result?: Hex };
  if (typeof body.result !== 'string') throw new Error(`eth_getTransactionCount failed for ${address}`);
  return Number.parseInt(body.result, 16);
}
