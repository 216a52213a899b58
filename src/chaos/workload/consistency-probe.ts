import { keccak256 } from 'viem';
import type { Address, Hex } from 'viem';
import { ConsistencyTally } from './consistency-tally.js';
import { bigQuantity, quantity } from './quantity.js';
import type { ConsistencySummary } from './consistency-tally.js';
import { StaleReads } from './stale-reads.js';
import type { StaleReadOptions } from './stale-reads.js';
import type { RpcTarget, TargetReply } from './target.js';
import { TransferSupply } from './tx-supply.js';
import { wakeableDelay } from '../../wakeable-delay.js';

/** The chain as it really is: the devnet's canonical chain. */
export interface CanonicalChain {
  head(): number;
  isCanonical(hash: Hex): boolean;
}

export interface ConsistencyProbeOptions {
  /** Where the reads and transactions go (Lasso). */
  target: RpcTarget;
  truth: CanonicalChain;
  /** Account the probe's transfers come from; nothing else may send from it while the probe runs. */
  sender: { address: Address; privateKey: Hex };
  /** Receives the probe's 1-wei transfers; must hold nothing else's (a fresh address). */
  recipient: Address;
  chainId: number;
  baseFeePerGas: bigint;
  /** Pause between two head reads (eth_blockNumber + latest block), ms. @default 10 */
  readPauseMs?: number;
  /** Pause between a transfer's checks and the next transfer, ms. @default 2000 */
  txIntervalMs?: number;
  /** How long a receipt may take to come back through the target, ms. @default 20_000 */
  receiptTimeoutMs?: number;
  /** Timeout of one request, ms. @default 10_000 */
  requestTimeoutMs?: number;
  /** Runs a third loop that reads what a response cache stores and counts stale answers (off when unset). */
  staleReads?: StaleReadOptions;
}

/** Receipts the stale-answer loop reads again: the latest transfers, where reorgs land. */
const RECENT_TRANSFERS = 8;

const RECEIPT_POLL_MS = 50;

/**
 * A client that checks what it is told against the canonical chain, for the whole run: one loop of
 * sequential `eth_blockNumber` + `eth_getBlockByNumber('latest')` reads (backwards, older than a
 * head already given, bogus, stale), and one loop that sends a transfer, waits for its receipt and
 * then reads the recipient's balance and the sender's nonce (a client that saw a receipt must see
 * its effects). Optionally a third loop ({@link StaleReads}) reads cached kinds of data near the
 * head and counts answers from orphaned blocks. Everything goes through the target, as a user's
 * client would.
 */
export class ConsistencyProbe {
  readonly tally = new ConsistencyTally();
  /** Requests sent (every one reaches the target's request counters). */
  requests = 0;
  /** Of those, the ones not answered with a result. */
  unanswered = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();
  private nextId = 1;
  private readonly transfers: Hex[] = [];
  private readonly staleReads: StaleReads | undefined;

  constructor(private readonly options: ConsistencyProbeOptions) {
    const stale = options.staleReads;
    this.staleReads =
      stale &&
      new StaleReads(
        { ...stale, accounts: [...stale.accounts, options.sender.address, options.recipient] },
        { call: (method, params) => this.call(method, params), pause: (ms) => this.pause(ms), stopped: () => this.stopped, recentTransfers: () => this.transfers },
      );
  }

  /** Starts the loops (the transfer loop asks the target for the sender's nonce first). */
  start(): void {
    this.loops = [this.readLoop(), this.transferLoop(), ...(this.staleReads ? [this.staleReads.loop()] : [])];
  }

  /** Stops the loops after their current step and returns what they found. */
  async stop(): Promise<ConsistencySummary> {
    this.stopped = true;
    for (const wake of [...this.wakers]) wake();
    await Promise.all(this.loops);
    return { ...this.tally.summary(), ...(this.staleReads && { stale: this.staleReads.summary() }) };
  }

  private async readLoop(): Promise<void> {
    const { truth } = this.options;
    while (!this.stopped) {
      const before = truth.head();
      const headReply = await this.call('eth_blockNumber', []);
      const head = quantity(headReply.result);
      if (head === undefined) this.tally.failedRead(describe('eth_blockNumber', headReply));
      else this.tally.head(head, before, truth.head());
      const beforeLatest = truth.head();
      const blockReply = await this.call('eth_getBlockByNumber', ['latest', false]);
      const number = quantity((blockReply.result as { number?: unknown } | null | undefined)?.number);
      if (number === undefined) this.tally.failedRead(describe('eth_getBlockByNumber(latest)', blockReply));
      else this.tally.latestBlock(number, beforeLatest, truth.head());
      await this.pause(this.options.readPauseMs ?? 10);
    }
  }

  private async transferLoop(): Promise<void> {
    const o = this.options;
    const nonceReply = await this.call('eth_getTransactionCount', [o.sender.address, 'pending']);
    const startNonce = quantity(nonceReply.result);
    if (startNonce === undefined) {
      this.tally.failedRead(describe('eth_getTransactionCount(pending)', nonceReply));
      return;
    }
    const supply = new TransferSupply({ chainId: o.chainId, senders: [{ privateKey: o.sender.privateKey, nonce: startNonce }], recipient: o.recipient, baseFeePerGas: o.baseFeePerGas, bufferSize: 2 });
    await supply.prepare();
    let confirmed = 0n;
    for (let index = 0; ; index++) {
      await this.pause(o.txIntervalMs ?? 2000);
      if (this.stopped) return;
      const raw = await supply.next();
      const hash = keccak256(raw);
      const sent = await this.send(raw);
      if (sent !== true) {
        // A transfer that was never taken leaves a nonce gap: every later one would wait forever.
        if (sent) this.tally.failedRead(describe('eth_sendRawTransaction', sent));
        return;
      }
      const receipt = await this.receipt(hash);
      if (receipt === 'stopped') return;
      if (receipt === 'timeout') {
        this.tally.receiptTimeout();
        continue;
      }
      confirmed++;
      this.transfers.push(hash);
      if (this.transfers.length > RECENT_TRANSFERS) this.transfers.shift();
      const [balanceReply, nonceReply] = await Promise.all([this.call('eth_getBalance', [o.recipient, 'latest']), this.call('eth_getTransactionCount', [o.sender.address, 'latest'])]);
      const balance = bigQuantity(balanceReply.result);
      const nonce = quantity(nonceReply.result);
      if (balance === undefined || nonce === undefined) {
        this.tally.failedRead(balance === undefined ? describe('eth_getBalance', balanceReply) : describe('eth_getTransactionCount(latest)', nonceReply));
        continue;
      }
      const nonceAfter = startNonce + index + 1;
      // Every earlier transfer with a receipt adds 1 wei; one that timed out may add more, never less.
      const reflected = balance >= confirmed && nonce >= nonceAfter;
      const detail = `after the receipt of transfer ${index} (block ${receipt.blockNumber}): balance ${balance} (expected >= ${confirmed}), nonce ${nonce} (expected >= ${nonceAfter})`;
      this.tally.afterReceipt(reflected, o.truth.isCanonical(receipt.blockHash), detail);
    }
  }

  /** Sends a raw transaction, again on a failed answer (a node that already has it says so); the last failed reply, or undefined when stopped. */
  private async send(raw: Hex): Promise<true | TargetReply | undefined> {
    let last: TargetReply | undefined;
    for (let attempt = 0; attempt < 3 && !this.stopped; attempt++) {
      const reply = await this.call('eth_sendRawTransaction', [raw]);
      if (typeof reply.result === 'string') return true;
      if (reply.error && /already known|already imported|nonce too low/i.test(reply.error.message)) return true;
      last = reply;
    }
    return last;
  }

  private async receipt(hash: Hex): Promise<{ blockNumber: number; blockHash: Hex } | 'timeout' | 'stopped'> {
    const deadline = Date.now() + (this.options.receiptTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      const r = (await this.call('eth_getTransactionReceipt', [hash])).result as { blockNumber?: unknown; blockHash?: unknown } | null | undefined;
      const blockNumber = quantity(r?.blockNumber);
      if (blockNumber !== undefined && typeof r?.blockHash === 'string') return { blockNumber, blockHash: r.blockHash as Hex };
      // Past the end of the run the receipt is not waited for: the cluster is about to go.
      if (this.stopped) return 'stopped';
      await this.pause(RECEIPT_POLL_MS);
    }
    return 'timeout';
  }

  private async call(method: string, params: unknown[]): Promise<TargetReply> {
    this.requests++;
    const reply = await this.options.target.send({ id: this.nextId++, method, params }, { timeoutMs: this.options.requestTimeoutMs ?? 10_000 });
    if (reply.result === undefined) this.unanswered++;
    return reply;
  }

  /** Waits `ms`, or less when the probe is stopped. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return wakeableDelay(ms, this.wakers);
  }
}

function describe(what: string, reply: TargetReply): string {
  if (reply.error) return `${what}: error ${reply.error.code} ${reply.error.message.slice(0, 120)}`;
  if (reply.failure) return `${what}: ${reply.failure}${reply.failureDetail ? ` (${reply.failureDetail})` : ''}`;
  return `${what}: unexpected result ${JSON.stringify(reply.result ?? null).slice(0, 80)}`;
}
