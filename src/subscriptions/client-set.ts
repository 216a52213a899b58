import type { RpcError } from '../jsonrpc/errors.js';
import type { SubscriptionSink } from './types.js';

/**
 * The client subscriptions of one stream (one canonical key) and the fan-out to them. A sink
 * that refuses a delivery (its bounded buffer is full) or throws is removed at once: the front
 * closes that client with an error, and the others are unaffected.
 */
export class ClientSet {
  private readonly sinks = new Map<string, SubscriptionSink>();

  constructor(
    /** Called after a client left this set for a reason other than `remove` (backpressure, end). */
    private readonly onDropped: (id: string) => void,
  ) {}

  get size(): number {
    return this.sinks.size;
  }

  add(id: string, sink: SubscriptionSink): void {
    this.sinks.set(id, sink);
  }

  /** Removes a client; false when it was not (or no longer) here. */
  remove(id: string): boolean {
    return this.sinks.delete(id);
  }

  /** Delivers one notification result to every client, in subscription order. */
  deliver(result: unknown): void {
    for (const [id, sink] of this.sinks) {
      let accepted: boolean;
      try {
        accepted = sink.deliver(result);
      } catch {
        accepted = false;
      }
      if (!accepted) {
        this.sinks.delete(id);
        this.onDropped(id);
      }
    }
  }

  /** Ends every client subscription with `error` (e.g. a gap that could not be filled). */
  endAll(error: RpcError): void {
    const all = [...this.sinks];
    this.sinks.clear();
    for (const [id, sink] of all) {
      try {
        sink.end(error);
      } catch {
        // a broken sink must not keep the others from hearing about it
      }
      this.onDropped(id);
    }
  }
}
