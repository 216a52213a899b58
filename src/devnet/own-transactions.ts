import { getContractAddress } from 'viem';
import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { PrivateKeyAccount } from 'viem/accounts';
import type { DevnetAccount } from './accounts.js';
import { rawTxHash } from './block-sync.js';
import { EMITTER_INIT, encodePingCalldata } from './emitter-contract.js';
import type { DevnetNode } from './node.js';

const PING_GAS = 100_000n;
const DEPLOY_GAS = 500_000n;
const PRIORITY_FEE = 1_000_000_000n;
/** Reserved accounts the devnet pings from, alternating. Account 0 also deploys the emitter. */
const PINGER_INDEXES = [0, 1] as const;

/** The devnet's own content of one block. */
export interface OwnBlockSpec {
  pings: number;
  deployEmitter?: boolean;
}

/**
 * The transactions the devnet makes itself: the emitter deployment (block 1) and the pings that
 * give each block its logs, signed by the reserved accounts. Their hashes are remembered, so that
 * a reorg makes new pings instead of putting the orphaned ones back.
 */
export class OwnTransactions {
  /** Where the emitter is deployed: block 1 holds the deployment, sent with nonce 0, so the address is known up front. */
  readonly emitter: Address;
  private readonly signers: PrivateKeyAccount[];
  private readonly own = new Set<string>();
  /** Bumped by each reorg so that replacement pings differ from the orphaned ones. */
  private generation = 0;

  constructor(
    accounts: readonly DevnetAccount[],
    private readonly chainId: number,
    private readonly baseFeePerGas: bigint,
  ) {
    this.signers = PINGER_INDEXES.map((i) => {
      const account = accounts[i];
      if (!account) throw new RangeError(`no account ${i}`);
      return privateKeyToAccount(account.privateKey);
    });
    this.emitter = getContractAddress({ from: this.signers[0]!.address, nonce: 0n });
  }

  /** True for a transaction this devnet signed. */
  isOwn(raw: Hex): boolean {
    return this.own.has(rawTxHash(raw).toLowerCase());
  }

  /** A reorg happened: pings signed from now on differ from those of the orphaned blocks. */
  newGeneration(): void {
    this.generation++;
  }

  /**
   * Signs one block's own transactions (the deployment, then `spec.pings` pings), with nonces from
   * the leader's pending count, and remembers their hashes.
   */
  async sign(leader: DevnetNode, number: number, spec: OwnBlockSpec): Promise<Hex[]> {
    const signers = this.signers.slice(0, Math.max(spec.deployEmitter ? 1 : 0, Math.min(spec.pings, this.signers.length)));
    // The leader's pending count includes anything still queued from earlier, so nonces never collide.
    const nonces = await Promise.all(signers.map(async (s) => Number(await leader.call<Hex>('eth_getTransactionCount', [s.address, 'pending']))));
    const fees = { maxFeePerGas: this.baseFeePerGas * 2n + PRIORITY_FEE, maxPriorityFeePerGas: PRIORITY_FEE };
    const raws: Hex[] = [];
    const nextNonce = (i: number): number => {
      const n = nonces[i] ?? 0;
      nonces[i] = n + 1;
      return n;
    };
    if (spec.deployEmitter && signers[0]) {
      raws.push(await signers[0].signTransaction({ type: 'eip1559', chainId: this.chainId, nonce: nextNonce(0), gas: DEPLOY_GAS, data: EMITTER_INIT, ...fees }));
    }
    for (let i = 0; i < spec.pings; i++) {
      const which = i % signers.length;
      const signer = signers[which];
      if (!signer) break;
      // Value = reorg generation | block number | index: pings on a reorg's new branch differ from the orphaned ones.
      const value = (BigInt(this.generation) << 64n) | (BigInt(number) << 16n) | BigInt(i);
      raws.push(
        await signer.signTransaction({
          type: 'eip1559',
          chainId: this.chainId,
          nonce: nextNonce(which),
          to: this.emitter,
          data: encodePingCalldata(value),
          gas: PING_GAS,
          ...fees,
        }),
      );
    }
    for (const raw of raws) this.own.add(rawTxHash(raw).toLowerCase());
    return raws;
  }
}
