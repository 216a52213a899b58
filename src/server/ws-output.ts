/**
 * The bytes a WebSocket connection sends, written straight to its TCP socket once per event-loop
 * turn. A fan-out to thousands of subscribers then costs each socket one queued reference to
 * frames prepared once and one write, instead of framing and writing message by message.
 *
 * Frames go to the same socket `ws` writes to, which is safe because the front runs without
 * permessage-deflate (ws never holds frames back then); before ws writes a control frame of its own
 * that must come after ours (close), `flush` is called.
 */
import type { Duplex } from 'node:stream';

/** Flushes every connection that queued bytes during this turn, in one setImmediate. */
export class FlushScheduler {
  private dirty: FrameWriter[] = [];
  private scheduled = false;

  schedule(writer: FrameWriter): void {
    this.dirty.push(writer);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    const writers = this.dirty;
    this.dirty = [];
    for (const w of writers) w.flush();
  };
}

/** The frames one connection queued in this turn. */
export class FrameWriter {
  private parts: Buffer[] = [];
  private bytes = 0;
  private messages = 0;

  constructor(
    private readonly socket: Duplex,
    private readonly scheduler: FlushScheduler,
    /** Told how many messages each write carried (for the messages-out counter). */
    private readonly onWritten: (messages: number) => void,
  ) {}

  /** Bytes queued and not yet handed to the socket. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Queues one message made of already-framed parts (header first). */
  queue(parts: readonly Buffer[]): void {
    if (this.parts.length === 0) this.scheduler.schedule(this);
    for (const p of parts) {
      this.parts.push(p);
      this.bytes += p.length;
    }
    this.messages++;
  }

  /** Writes everything queued, as one buffer. Called by the scheduler, and before a close frame. */
  flush(): void {
    if (this.parts.length === 0) return;
    const data = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.bytes);
    const messages = this.messages;
    this.discard();
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(data);
    this.onWritten(messages);
  }

  /** Drops what is queued (the connection is gone). */
  discard(): void {
    this.parts = [];
    this.bytes = 0;
    this.messages = 0;
  }
}
