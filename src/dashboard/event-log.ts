import type { LassoEvent } from '../observability/events.js';

export type LogTone = 'bad' | 'warn' | 'good' | 'info';

/** One line of the dashboard's event log; bursts of the same failover or cooldown share a line. */
export interface LogEntry {
  id: number;
  /** First and latest occurrence (ms since epoch). */
  at: number;
  lastAt: number;
  count: number;
  type: LassoEvent['type'];
  chain: string;
  provider: string | null;
  tone: LogTone;
  text: string;
}

export interface EventLogOptions {
  /** Lines kept. @default 200 */
  capacity?: number;
  /** Repeats of the same failover or cooldown within this long of the last one join its line. @default 5_000 */
  burstMs?: number;
}

export const EVENT_LOG_DEFAULTS = { capacity: 200, burstMs: 5_000 } as const;

/**
 * The recent events as lines a person can read. Failovers and cooldowns come in bursts (every
 * request to a dying provider fails over), so repeats fold into one line with a count instead of
 * pushing the breaker transitions out of view.
 */
export class EventLog {
  private readonly capacity: number;
  private readonly burstMs: number;
  private readonly entries: LogEntry[] = [];
  private readonly burstKeys = new Map<string, LogEntry>();
  private nextId = 1;

  constructor(options: EventLogOptions = {}) {
    this.capacity = options.capacity ?? EVENT_LOG_DEFAULTS.capacity;
    this.burstMs = options.burstMs ?? EVENT_LOG_DEFAULTS.burstMs;
  }

  /** Records an event; returns its line (new, or an earlier one whose count grew). */
  add(event: LassoEvent): LogEntry {
    const key = burstKey(event);
    const previous = key === undefined ? undefined : this.burstKeys.get(key);
    if (previous && event.at - previous.lastAt <= this.burstMs && this.entries.includes(previous)) {
      previous.count++;
      previous.lastAt = event.at;
      return previous;
    }
    const { tone, text } = describe(event);
    const entry: LogEntry = { id: this.nextId++, at: event.at, lastAt: event.at, count: 1, type: event.type, chain: event.chain, provider: 'provider' in event ? (event.provider ?? null) : null, tone, text };
    this.entries.push(entry);
    if (key !== undefined) this.burstKeys.set(key, entry);
    if (this.entries.length > this.capacity) {
      const dropped = this.entries.shift() as LogEntry;
      for (const [k, e] of this.burstKeys) if (e === dropped) this.burstKeys.delete(k);
    }
    return entry;
  }

  /** Lines, oldest first. */
  list(): readonly LogEntry[] {
    return this.entries;
  }

  /** The latest line of `type` on `chain`, if any. */
  latest(chain: string, type: LassoEvent['type']): LogEntry | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as LogEntry;
      if (e.chain === chain && e.type === type) return e;
    }
    return undefined;
  }
}

function burstKey(event: LassoEvent): string | undefined {
  if (event.type === 'failover') return `failover\0${event.chain}\0${event.provider}\0${event.errorClass}\0${event.reason}`;
  if (event.type === 'cooldown') return `cooldown\0${event.chain}\0${event.provider}`;
  return undefined;
}

function describe(event: LassoEvent): { tone: LogTone; text: string } {
  switch (event.type) {
    case 'breaker': {
      const tone: LogTone = event.to === 'open' ? 'bad' : event.to === 'closed' ? 'good' : 'warn';
      return { tone, text: `${event.provider} ${event.transport} breaker ${event.from} → ${event.to} (${event.reason})` };
    }
    case 'failover':
      return { tone: 'warn', text: `failover away from ${event.provider}: ${event.errorClass} (${event.reason}), first on ${event.method}` };
    case 'cooldown':
      return { tone: 'warn', text: `${event.provider} rate-limited: cooling down for ${Math.max(0, Math.round((event.until - event.at) / 1000))} s` };
    case 'reorg':
      return {
        tone: 'warn',
        text: `reorg: ${event.depth} block(s) above ${event.forkPoint} replaced${event.newHead === undefined ? '' : `, new head ${event.newHead}`}${event.provider === undefined ? '' : ` (seen from ${event.provider})`}`,
      };
    case 'outlier':
      return event.outlier === false
        ? { tone: 'good', text: `${event.provider} believed again (${event.reason})` }
        : { tone: 'bad', text: `${event.provider} is an outlier: ${event.reason}` };
    case 'subscription_failover':
      return { tone: 'bad', text: `${event.kind} subscription left ${event.provider}: ${event.reason}` };
    case 'gap_fill':
      return { tone: 'good', text: `${event.kind} gap filled over HTTP: ${event.blocks} block(s) ${event.from}…${event.to}` };
  }
}
