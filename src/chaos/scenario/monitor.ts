import { Pool } from 'undici';
import type { RunClock } from '../workload/clock.js';

/** One provider as `/api/providers` showed it at one poll. */
export interface ProviderState {
  /** Breaker state per channel transport (`http`, `ws`). */
  breakers: Record<string, string>;
  lagging: boolean;
  lag: number | null;
  head: number | null;
  coolingDown: boolean;
  /** Upstream subscriptions on the provider's WebSocket channel (null without one). */
  wsSubscriptions: number | null;
  /** Connection state of the WebSocket channel (`open`, `backoff`...), null without one. */
  wsConnection: string | null;
}

/** One poll of `/api/providers`. */
export interface ProviderSample {
  tMs: number;
  providers: Record<string, ProviderState>;
}

/** A change between two consecutive polls. `field` is `breaker:<transport>`, `lagging` or `coolingDown`. */
export interface ProviderStateChange {
  tMs: number;
  provider: string;
  field: string;
  from: string;
  to: string;
}

export interface ProviderMonitorOptions {
  /** Lasso's base URL. */
  url: string;
  chain: string;
  clock: RunClock;
  /** @default 100 */
  intervalMs?: number;
}

/**
 * Polls Lasso's `/api/providers` on an interval and keeps every sample and every state change
 * (breaker per channel, lagging, cooling down) with its time. A poll shows the state at that
 * instant: a change that comes and goes between two polls is not seen (the Prometheus
 * transition counters are exact; this gives the timing).
 */
export class ProviderMonitor {
  readonly samples: ProviderSample[] = [];
  readonly changes: ProviderStateChange[] = [];
  /** Polls that failed (Lasso busy or gone). */
  errors = 0;
  private readonly pool: Pool;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: ProviderMonitorOptions) {
    this.pool = new Pool(options.url, { connections: 2 });
    this.intervalMs = options.intervalMs ?? 100;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.pool.destroy().catch(() => undefined);
  }

  /** One poll right now (also used before `start`, e.g. to wait for readiness). */
  async poll(): Promise<ProviderSample | undefined> {
    const run = this.pollOnce();
    this.inFlight = run.then(() => undefined);
    return run;
  }

  latest(): ProviderSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** Breaker changes only, optionally of one provider and one channel transport (`http`, `ws`). */
  breakerTransitions(provider?: string, transport?: string): ProviderStateChange[] {
    return this.changes.filter(
      (c) => c.field.startsWith('breaker:') && (provider === undefined || c.provider === provider) && (transport === undefined || c.field === `breaker:${transport}`),
    );
  }

  /**
   * Spans of consecutive samples in which `predicate` held for `provider`: [time of the first
   * such sample, time of the last]. The state certainly held over each span (it may have started
   * earlier and ended later, by up to one poll interval).
   */
  spans(provider: string, predicate: (state: ProviderState) => boolean): [number, number][] {
    const out: [number, number][] = [];
    let open: [number, number] | undefined;
    for (const s of this.samples) {
      const state = s.providers[provider];
      if (state && predicate(state)) {
        if (open) open[1] = s.tMs;
        else open = [s.tMs, s.tMs];
      } else if (open) {
        out.push(open);
        open = undefined;
      }
    }
    if (open) out.push(open);
    return out;
  }

  /** Resolves with the first sample (from now on, or the latest) satisfying `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (sample: ProviderSample) => boolean, timeoutMs: number, what = 'provider state'): Promise<ProviderSample> {
    const latest = this.latest();
    if (latest && predicate(latest)) return Promise.resolve(latest);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const s = this.latest();
        if (!s || !predicate(s)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(s);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.running) return;
      const started = this.options.clock.now();
      void this.poll().finally(() => {
        if (this.running) this.schedule(Math.max(0, started + this.intervalMs - this.options.clock.now()));
      });
    }, delayMs);
  }

  private async pollOnce(): Promise<ProviderSample | undefined> {
    let body: unknown;
    const tMs = this.options.clock.now();
    try {
      const res = await this.pool.request({ method: 'GET', path: '/api/providers', headersTimeout: 5000, bodyTimeout: 5000 });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      body = JSON.parse(text);
    } catch {
      this.errors++;
      return undefined;
    }
    const sample = toSample(body, this.options.chain, tMs);
    if (!sample) {
      this.errors++;
      return undefined;
    }
    const previous = this.latest();
    this.samples.push(sample);
    if (previous) this.recordChanges(previous, sample);
    for (const w of [...this.waiters]) w();
    return sample;
  }

  private recordChanges(before: ProviderSample, after: ProviderSample): void {
    for (const [id, now] of Object.entries(after.providers)) {
      const was = before.providers[id];
      if (!was) continue;
      for (const [transport, state] of Object.entries(now.breakers)) {
        const old = was.breakers[transport];
        if (old !== undefined && old !== state) this.changes.push({ tMs: after.tMs, provider: id, field: `breaker:${transport}`, from: old, to: state });
      }
      if (was.lagging !== now.lagging) this.changes.push({ tMs: after.tMs, provider: id, field: 'lagging', from: String(was.lagging), to: String(now.lagging) });
      if (was.coolingDown !== now.coolingDown) {
        this.changes.push({ tMs: after.tMs, provider: id, field: 'coolingDown', from: String(was.coolingDown), to: String(now.coolingDown) });
      }
    }
  }
}

interface ProvidersBody {
  chains?: {
    chain?: string;
    providers?: {
      id: string;
      lagging?: boolean;
      lag?: number | null;
      head?: number | null;
      coolingDown?: boolean;
      channels?: { transport: string; breaker: string; subscriptions?: number; connection?: string }[];
    }[];
  }[];
}

/**
 * One read of `/api/providers` outside a monitor (e.g. from a custom chaos step: which provider
 * carries the subscriptions right now?).
 */
export async function fetchProviderStates(url: string, chain: string): Promise<Record<string, ProviderState>> {
  const res = await fetch(`${url}/api/providers`);
  const sample = toSample(await res.json(), chain, 0);
  if (!sample) throw new Error('unexpected /api/providers body');
  return sample.providers;
}

/** Providers whose WebSocket channel currently holds upstream subscriptions, most first. */
export async function subscriptionProviders(url: string, chain: string): Promise<string[]> {
  const states = await fetchProviderStates(url, chain);
  return Object.entries(states)
    .filter(([, s]) => (s.wsSubscriptions ?? 0) > 0)
    .sort(([, a], [, b]) => (b.wsSubscriptions ?? 0) - (a.wsSubscriptions ?? 0))
    .map(([id]) => id);
}

function toSample(body: unknown, chain: string, tMs: number): ProviderSample | undefined {
  const chains = (body as ProvidersBody).chains;
  const entry = chains?.find((c) => c.chain === chain) ?? (chains?.length === 1 ? chains[0] : undefined);
  if (!entry?.providers) return undefined;
  const providers: Record<string, ProviderState> = {};
  for (const p of entry.providers) {
    const breakers: Record<string, string> = {};
    for (const ch of p.channels ?? []) breakers[ch.transport] = ch.breaker;
    const ws = p.channels?.find((ch) => ch.transport === 'ws');
    providers[p.id] = {
      breakers,
      lagging: p.lagging === true,
      lag: p.lag ?? null,
      head: p.head ?? null,
      coolingDown: p.coolingDown === true,
      wsSubscriptions: ws?.subscriptions ?? null,
      wsConnection: ws?.connection ?? null,
    };
  }
  return { tMs: round(tMs), providers };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
