import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { PrivateKeyAccount } from 'viem/accounts';

export interface TransferSupplyOptions {
  chainId: number;
  /** Senders, used round-robin. Nothing else may send from them while the supply is in use. */
  senders: readonly { privateKey: Hex; nonce: number }[];
  /** Recipient of every transfer (1 wei each). */
  recipient: Address;
  /** Base fee the chain charges; the max fee is twice that plus the tip. */
  baseFeePerGas: bigint;
  /** Transactions signed ahead so that taking one never waits. @default 64 */
  bufferSize?: number;
}

const TIP = 1_000_000_000n;

/**
 * Signed value transfers for `eth_sendRawTransaction` workloads: distinct transactions with
 * consecutive nonces per sender, signed ahead of time (signing costs ~1 ms, which would skew an
 * open-model schedule if done on the spot).
 */
export class TransferSupply {
  private readonly accounts: { account: PrivateKeyAccount; nonce: number }[];
  private readonly buffer: Promise<Hex>[] = [];
  private refilling: Promise<void> | undefined;
  private turn = 0;
  private readonly bufferSize: number;
  /** Transactions handed out so far. */
  taken = 0;

  constructor(private readonly options: TransferSupplyOptions) {
    if (options.senders.length === 0) throw new RangeError('TransferSupply needs at least one sender');
    this.accounts = options.senders.map((s) => ({ account: privateKeyToAccount(s.privateKey), nonce: s.nonce }));
    this.bufferSize = options.bufferSize ?? 64;
  }

  /** Fills the buffer; call before the workload starts. */
  async prepare(count = this.bufferSize): Promise<void> {
    // Queued when its nonce is taken, signed one after the other: the queue stays in nonce order.
    while (this.buffer.length < count) {
      const tx = this.sign();
      this.buffer.push(tx);
      await tx;
    }
  }

  /** The next transaction: from the buffer when possible (refilled in the background). */
  next(): Promise<Hex> {
    this.taken++;
    // Only signed on the spot when every nonce taken so far has been handed out.
    const tx = this.buffer.shift() ?? this.sign();
    if (this.buffer.length < this.bufferSize / 2) this.refill();
    return tx;
  }

  private refill(): void {
    this.refilling ??= this.prepare().finally(() => {
      this.refilling = undefined;
    });
    this.refilling.catch(() => undefined);
  }

  private sign(): Promise<Hex> {
    const slot = this.accounts[this.turn++ % this.accounts.length]!;
    const nonce = slot.nonce++;
    return slot.account.signTransaction({
      type: 'eip1559',
      chainId: this.options.chainId,
      nonce,
      to: this.options.recipient,
      value: 1n,
      gas: 21_000n,
      maxFeePerGas: this.options.baseFeePerGas * 2n + TIP,
      maxPriorityFeePerGas: TIP,
    });
  }
}
