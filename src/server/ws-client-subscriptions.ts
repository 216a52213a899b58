/**
 * The client registry of one WebSocket connection: client subscription ids <-> engine handles, and
 * the sink each subscription hands to the engine.
 *
 * A subscription goes pending -> live -> removed (eth_unsubscribe or connection gone) or ended (the
 * engine gave up on it). While pending, the eth_subscribe response has not been sent yet: clients
 * drop notifications for ids they do not know, so anything the engine delivers meanwhile is held
 * here (counted against the connection's send buffer) and flushed right after the response.
 */
import type { RpcError } from '../jsonrpc/errors.js';
import type { ClientSubscriptionHandle, SubscriptionSink } from '../subscriptions/types.js';
import { notificationFrame, notificationPrefix, notificationText, resultJson, textFrame } from './ws-messages.js';

/** What the registry needs from its connection. */
export interface SubscriptionHost {
  /** Writes one framed notification; false when the connection is closing (slow client, gone). */
  sendNotification(frame: readonly Buffer[]): boolean;
  /** Adds `bytes` (negative to release) to the front-side queue; false when that made the client too slow. */
  reserveQueued(bytes: number): boolean;
  /** True once the connection is closing or closed: sinks refuse further deliveries. */
  isClosing(): boolean;
  /** A live subscription was ended by the engine; the connection tells the client. */
  onEnded(id: string, error: RpcError): void;
  /** Live subscriptions per kind changed (for the gauge). */
  onCountChange(kind: string, delta: number): void;
}

type EntryState = 'pending' | 'live' | 'removed' | 'ended';

/** One client subscription as the registry tracks it. */
export interface ClientSubscriptionEntry {
  readonly kind: string;
  readonly sink: SubscriptionSink;
  /** Set when the engine answered; it is also the id the client sees. */
  readonly id: string | undefined;
  /** The engine's reason, when it ended the subscription before the client learned its id. */
  readonly endError: RpcError | undefined;
}

interface Entry extends ClientSubscriptionEntry {
  id: string | undefined;
  endError: RpcError | undefined;
  handle: ClientSubscriptionHandle | undefined;
  /** The notification bytes before the result, set with the id. */
  prefix: Buffer | undefined;
  state: EntryState;
  /** Serialized results delivered before the eth_subscribe response went out. */
  held: string[];
  heldBytes: number;
}

/** Outcome of `attach`: go on with the response, or the connection/engine got there first. */
export type AttachResult = 'ok' | 'connection_closed' | 'ended';

export class ClientSubscriptions {
  /** Pending and live entries: both count against the per-connection limit. */
  private readonly entries = new Set<Entry>();
  private readonly byId = new Map<string, Entry>();

  constructor(private readonly host: SubscriptionHost) {}

  /** Pending + live subscriptions. */
  get size(): number {
    return this.entries.size;
  }

  /** Ids of live subscriptions (for notices). */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Starts an entry for an eth_subscribe in progress; its `sink` goes to the engine. */
  reserve(kind: string): ClientSubscriptionEntry {
    const entry: Entry = {
      kind,
      id: undefined,
      endError: undefined,
      handle: undefined,
      prefix: undefined,
      state: 'pending',
      held: [],
      heldBytes: 0,
      sink: {
        deliver: (result) => this.deliver(entry, result),
        end: (error) => this.end(entry, error),
      },
    };
    this.entries.add(entry);
    return entry;
  }

  /** The engine refused the subscription: forget the entry. */
  release(entry: ClientSubscriptionEntry): void {
    const e = entry as Entry;
    this.entries.delete(e);
    this.dropHeld(e);
    e.state = 'removed';
  }

  /** The engine accepted: bind its handle. When the connection closed meanwhile, the handle is released here. */
  attach(entry: ClientSubscriptionEntry, handle: ClientSubscriptionHandle): AttachResult {
    const e = entry as Entry;
    if (e.state === 'removed') {
      safeUnsubscribe(handle);
      return 'connection_closed';
    }
    if (e.state === 'ended') {
      this.entries.delete(e);
      this.dropHeld(e);
      return 'ended';
    }
    e.handle = handle;
    e.id = handle.id;
    e.prefix = notificationPrefix(handle.id);
    this.byId.set(handle.id, e);
    this.host.onCountChange(e.kind, 1);
    return 'ok';
  }

  /** Call right after the eth_subscribe response was written: flushes held notifications in order. */
  goLive(entry: ClientSubscriptionEntry): void {
    const e = entry as Entry;
    if (e.state !== 'pending' || e.id === undefined) return;
    e.state = 'live';
    const held = e.held;
    const heldBytes = e.heldBytes;
    e.held = [];
    e.heldBytes = 0;
    this.host.reserveQueued(-heldBytes);
    for (const json of held) if (!this.host.sendNotification(textFrame(notificationText(e.id, json)))) return;
  }

  /** eth_unsubscribe: false when the id is not a live subscription of this connection. */
  remove(id: string): boolean {
    const e = this.byId.get(id);
    if (!e) return false;
    this.forget(e);
    if (e.handle) safeUnsubscribe(e.handle);
    return true;
  }

  /** The connection is going away: release every subscription, pending ones as soon as they resolve. */
  clear(): void {
    for (const e of [...this.entries]) {
      const handle = e.handle;
      this.forget(e);
      if (handle) safeUnsubscribe(handle);
    }
  }

  private deliver(e: Entry, result: unknown): boolean {
    if (this.host.isClosing()) return false;
    // Removed or ended: the engine raced an unsubscribe; nothing to do, and the client is fine.
    if (e.state === 'removed' || e.state === 'ended') return true;
    if (e.state === 'live' && e.prefix !== undefined) return this.host.sendNotification(notificationFrame(e.prefix, result));
    const json = resultJson(result);
    e.held.push(json);
    e.heldBytes += json.length;
    return this.host.reserveQueued(json.length);
  }

  private end(e: Entry, error: RpcError): void {
    if (e.state === 'removed' || e.state === 'ended') return;
    if (e.state === 'pending' && e.id === undefined) {
      // The client has not seen an id yet: eth_subscribe answers with this error instead (see attach).
      e.state = 'ended';
      e.endError = error;
      return;
    }
    const id = e.id as string;
    this.forget(e);
    e.state = 'ended';
    this.host.onEnded(id, error);
  }

  private forget(e: Entry): void {
    if (!this.entries.delete(e)) return;
    if (e.id !== undefined && this.byId.delete(e.id)) this.host.onCountChange(e.kind, -1);
    this.dropHeld(e);
    e.state = 'removed';
  }

  private dropHeld(e: Entry): void {
    if (e.heldBytes > 0) this.host.reserveQueued(-e.heldBytes);
    e.held = [];
    e.heldBytes = 0;
  }
}

/** An engine bug must not break the client's cleanup of its other subscriptions. */
function safeUnsubscribe(handle: ClientSubscriptionHandle): void {
  try {
    handle.unsubscribe();
  } catch {
    // Nothing useful to do: the engine owns its state; the connection is being cleaned up regardless.
  }
}
