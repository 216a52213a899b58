import { keccak256, recoverTransactionAddress } from 'viem';
import type { Hex } from 'viem';

/** Where reads about a sent transaction should go first. */
export interface WriteHint {
  /** The provider that took the transaction, while it is not seen mined. */
  providerId?: string;
  /** The block it was seen mined in: providers below it cannot show its effects. */
  minedIn?: number;
}

interface SentTransaction {
  providerId: string;
  sender: string | undefined;
  minedIn: number | undefined;
  at: number;
}

/** How long a sent transaction steers reads of it and of its sender. */
const REMEMBER_MS = 10 * 60_000;
/** Most transactions remembered at once; the oldest are forgotten first. */
const MAX_TRACKED = 10_000;

/**
 * Read your writes: after a client sent a transaction through Lasso, reads of that transaction
 * (by hash, its receipt) and of its sender's nonce (eth_getTransactionCount, eth_fillTransaction) go first to the provider that took it while it
 * is pending, and to providers that have its block once it is seen mined.
 */
export class WriteTracker {
  private readonly byHash = new Map<string, SentTransaction>();
  private readonly bySender = new Map<string, string>();

  constructor(private readonly now: () => number) {}

  /** A provider accepted this raw transaction. */
  noteSent(raw: unknown, providerId: string): void {
    if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]+$/.test(raw)) return;
    const hash = keccak256(raw as Hex);
    const entry: SentTransaction = { providerId, sender: undefined, minedIn: undefined, at: this.now() };
    this.byHash.set(hash, entry);
    this.evict();
    // Recovering the sender costs a signature recovery; only writes pay it, and only once.
    recoverTransactionAddress({ serializedTransaction: raw as Parameters<typeof recoverTransactionAddress>[0]['serializedTransaction'] }).then(
      (sender) => {
        entry.sender = sender.toLowerCase();
        this.bySender.set(entry.sender, hash);
      },
      () => undefined,
    );
  }

  /** A receipt or transaction answer placed this transaction in a block. */
  noteMined(hash: string, blockNumber: number): void {
    const entry = this.byHash.get(hash.toLowerCase());
    if (entry !== undefined) entry.minedIn = blockNumber;
  }

  /** Where a read should go first, if it is about a transaction sent through Lasso. */
  hintFor(method: string, params: unknown): WriteHint | undefined {
    if (this.byHash.size === 0 || !Array.isArray(params)) return undefined;
    const first: unknown = params[0];
    let entry: SentTransaction | undefined;
    if ((method === 'eth_getTransactionReceipt' || method === 'eth_getTransactionByHash') && typeof first === 'string') {
      entry = this.byHash.get(first.toLowerCase());
    } else {
      const sender = method === 'eth_getTransactionCount' ? first : method === 'eth_fillTransaction' && typeof first === 'object' && first !== null ? (first as { from?: unknown }).from : undefined;
      const hash = typeof sender === 'string' ? this.bySender.get(sender.toLowerCase()) : undefined;
      entry = hash === undefined ? undefined : this.byHash.get(hash);
    }
    if (entry === undefined || this.now() - entry.at > REMEMBER_MS) return undefined;
    return entry.minedIn === undefined ? { providerId: entry.providerId } : { minedIn: entry.minedIn };
  }

  private evict(): void {
    const cutoff = this.now() - REMEMBER_MS;
    for (const [hash, entry] of this.byHash) {
      if (entry.at >= cutoff && this.byHash.size <= MAX_TRACKED) break;
      this.byHash.delete(hash);
      if (entry.sender !== undefined && this.bySender.get(entry.sender) === hash) this.bySender.delete(entry.sender);
    }
  }
}
