import type { Address, Hex } from 'viem';
import { bigQuantity, toQuantity } from './quantity.js';
import { StaleTally } from './stale-tally.js';
import type { ReorgHistory, StaleSummary } from './stale-tally.js';
import type { RpcTarget, TargetReply } from './target.js';

/** The devnet's ground truth as the stale-answer loop reads it. */
export interface StaleReadTruth extends ReorgHistory {
  head(): number;
  block(number: number): { hash: Hex } | undefined;
}

export interface StaleReadOptions {
  truth: StaleReadTruth;
  /** A devnet node asked directly (not through Lasso) for the canonical balance / nonce at a block hash. */
  reference: RpcTarget;
  /** Accounts whose balance and nonce are read; the probe's own sender and recipient are added. */
  accounts: readonly Address[];
  /** Pause between two rounds of reads, ms. @default 20 */
  pauseMs?: number;
}

/** What the loop borrows from the probe that runs it: its target calls, pauses and transfers. */
export interface StaleReadHost {
  call(method: string, params: unknown[]): Promise<TargetReply>;
  pause(ms: number): Promise<void>;
  stopped(): boolean;
  /** Hashes of the probe's recent transfers that got a receipt. */
  recentTransfers(): readonly Hex[];
}

/** Heights read below the head, in turn: inside any reorg the scenarios make, then one long final. */
const DEPTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 40] as const;
/** Blocks per `eth_getLogs` range. */
const LOG_RANGE = 3;
const REFERENCE_TIMEOUT_MS = 5000;

/**
 * Sequential reads through the target of what a response cache stores (blocks by number and by
 * hash, balances and nonces at a number, logs over small recent ranges, receipts of the probe's own
 * transfers), each stamped with its send and answer times and, for balances and nonces, the
 * canonical value read straight from a devnet node, for {@link StaleTally} to judge at the end.
 */
export class StaleReads {
  private readonly tally = new StaleTally();

  constructor(
    private readonly options: StaleReadOptions,
    private readonly host: StaleReadHost,
  ) {}

  async loop(): Promise<void> {
    const { truth, accounts } = this.options;
    for (let round = 0; !this.host.stopped(); round++) {
      const depth = DEPTHS[round % DEPTHS.length]!;
      const number = Math.max(1, truth.head() - depth);
      const account = accounts[round % accounts.length];
      await this.blockByNumber(number);
      await this.blockByHash(number);
      // State at the newest block is left out: a node still importing it answers a number it is
      // mining with the state before it (seen with anvil), which no reorg or cache has to do with.
      if (account && number < truth.head()) {
        await this.value('balance', 'eth_getBalance', account, number);
        await this.value('nonce', 'eth_getTransactionCount', account, number);
      }
      await this.logs(Math.max(1, number - LOG_RANGE + 1), number);
      const transfers = this.host.recentTransfers();
      const transfer = transfers[round % Math.max(1, transfers.length)];
      if (transfer) await this.receipt(transfer);
      await this.host.pause(this.options.pauseMs ?? 20);
    }
  }

  summary(): StaleSummary {
    return this.tally.summary(this.options.truth);
  }

  private async blockByNumber(number: number): Promise<void> {
    const sentAtMs = Date.now();
    const reply = await this.host.call('eth_getBlockByNumber', [toQuantity(number), false]);
    // null: the target has not seen that height yet, nothing to judge.
    if (reply.result === null) return;
    const hash = hashOf(reply.result);
    if (!hash) return this.tally.failedRead();
    this.tally.blocks({ kind: 'blockByNumber', detail: `block ${number} by number`, sentAtMs, answeredAtMs: Date.now(), hashes: [hash] });
  }

  private async blockByHash(number: number): Promise<void> {
    const asked = this.options.truth.block(number)?.hash;
    if (!asked) return;
    const sentAtMs = Date.now();
    const reply = await this.host.call('eth_getBlockByHash', [asked, false]);
    if (reply.result === null) return;
    const hash = hashOf(reply.result);
    if (!hash) return this.tally.failedRead();
    this.tally.blocks({ kind: 'blockByHash', detail: `block ${number} by hash`, sentAtMs, answeredAtMs: Date.now(), hashes: [hash] });
  }

  private async value(kind: 'balance' | 'nonce', method: string, account: Address, number: number): Promise<void> {
    const canonicalHash = this.options.truth.block(number)?.hash;
    // The height is being re-mined by a reorg right now: there is no canonical value to compare with.
    if (!canonicalHash) return;
    const sentAtMs = Date.now();
    const reply = await this.host.call(method, [account, toQuantity(number)]);
    const answeredAtMs = Date.now();
    const answer = bigQuantity(reply.result);
    if (answer === undefined) return this.tally.failedRead();
    const reference = await this.options.reference.send({ id: 1, method, params: [account, { blockHash: canonicalHash }] }, { timeoutMs: REFERENCE_TIMEOUT_MS });
    const canonical = bigQuantity(reference.result);
    this.tally.value({ kind, detail: `${method} ${account} at ${number}`, number, sentAtMs, answeredAtMs, answer, canonical });
  }

  private async logs(from: number, to: number): Promise<void> {
    const sentAtMs = Date.now();
    const reply = await this.host.call('eth_getLogs', [{ fromBlock: toQuantity(from), toBlock: toQuantity(to) }]);
    if (!Array.isArray(reply.result)) return this.tally.failedRead();
    const hashes = reply.result.flatMap((log: unknown) => {
      const hash = (log as { blockHash?: unknown } | null)?.blockHash;
      return typeof hash === 'string' ? [hash as Hex] : [];
    });
    this.tally.blocks({ kind: 'logs', detail: `eth_getLogs ${from}..${to}`, sentAtMs, answeredAtMs: Date.now(), hashes });
  }

  private async receipt(txHash: Hex): Promise<void> {
    const sentAtMs = Date.now();
    const reply = await this.host.call('eth_getTransactionReceipt', [txHash]);
    // A reorg took the transfer out and its new block is not mined yet.
    if (reply.result === null) return;
    const hash = hashOf(reply.result, 'blockHash');
    if (!hash) return this.tally.failedRead();
    this.tally.blocks({ kind: 'receipt', detail: `receipt of ${txHash}`, sentAtMs, answeredAtMs: Date.now(), hashes: [hash] });
  }
}

function hashOf(value: unknown, field: 'hash' | 'blockHash' = 'hash'): Hex | undefined {
  const hash = (value as Record<string, unknown> | null | undefined)?.[field];
  return typeof hash === 'string' && /^0x[0-9a-fA-F]{64}$/.test(hash) ? (hash as Hex) : undefined;
}
