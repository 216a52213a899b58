import type { RpcError } from '../jsonrpc/errors.js';

/** Subscription kinds Lasso serves (eth_subscribe's first parameter). */
export type SubscriptionKind = 'newHeads' | 'logs' | 'newPendingTransactions';

/**
 * Where a client subscription's notifications go. Implemented by the WS front per client
 * subscription; called by the subscription engine in delivery order, never concurrently.
 */
export interface SubscriptionSink {
  /**
   * Deliver one notification `result` (a block header for newHeads, a log object for logs, a tx hash
   * for newPendingTransactions). Returns false when the client cannot take more (its bounded send
   * buffer is full): the engine then stops delivering and the front closes that client with an error.
   */
  deliver(result: unknown): boolean;
  /** The engine ends this subscription for good (e.g. a gap it could not fill); the front tells the client. */
  end(error: RpcError): void;
}

export interface ClientSubscriptionHandle {
  /** Lasso's own subscription id, stable across upstream failovers ("0x" + 32 hex chars). */
  readonly id: string;
  /** Stop delivering; releases the shared upstream subscription when this was its last client (after a grace period). */
  unsubscribe(): void;
}

/** One per chain. The WS front calls it for eth_subscribe; everything upstream is hidden behind it. */
export interface SubscriptionService {
  /**
   * Starts a client subscription. `params` is eth_subscribe's params array after the kind
   * (e.g. `[filter]` for logs). Rejects with RpcError(-32602) for an unknown kind or a bad filter.
   */
  subscribe(kind: string, params: readonly unknown[], sink: SubscriptionSink): Promise<ClientSubscriptionHandle>;
  /** Number of live client and upstream subscriptions (for /api and tests). */
  stats(): { clientSubscriptions: number; upstreamSubscriptions: number; byKey: Record<string, { clients: number; provider: string | undefined }> };
  close(): Promise<void>;
}
