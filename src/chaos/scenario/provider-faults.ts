import type { FaultHandle, FaultProxy } from '../fault-proxy/proxy.js';
import type { FaultRule } from '../fault-proxy/rules.js';

/**
 * The faults of one provider's proxy, in three groups: `baseline` (the provider's normal
 * character, e.g. its latency), `counter` (zero-delay latency rules that count requests per
 * method: latency rules fire even when another rule decides the answer), and `chaos` (what the
 * timeline adds). `clearChaos` removes only the last group, so "clear faults" never turns a
 * slow provider into a fast one or resets a count.
 */
export class ProviderFaults {
  private readonly baseline: FaultHandle[] = [];
  private readonly counters = new Map<string, FaultHandle>();
  private readonly chaos = new Set<FaultHandle>();
  private partitionHandles: FaultHandle[] | undefined;

  constructor(readonly proxy: FaultProxy) {}

  /** Installs rules that stay for the whole run. */
  addBaseline(rules: readonly FaultRule[]): void {
    for (const rule of rules) this.baseline.push(this.proxy.addFault(rule));
  }

  /** Counts requests calling `method` that reach this proxy (refused connections never do). */
  addCounter(method: string): void {
    if (this.counters.has(method)) return;
    this.counters.set(method, this.proxy.addFault({ type: 'latency', ms: 0, methods: [method], label: `count ${method}` }));
  }

  /** Requests per counted method that reached the proxy so far. */
  arrivals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [method, handle] of this.counters) out[method] = handle.applied;
    return out;
  }

  /** Adds chaos rules; the returned function removes exactly these. */
  add(rules: readonly FaultRule[]): () => Promise<void> {
    const handles = rules.map((rule) => this.proxy.addFault(rule));
    for (const h of handles) this.chaos.add(h);
    return async () => {
      for (const h of handles) {
        h.remove();
        this.chaos.delete(h);
      }
      await this.proxy.settled();
    };
  }

  /** Removes every chaos rule (a refused port listens again before this resolves). */
  async clearChaos(): Promise<void> {
    for (const h of this.chaos) h.remove();
    this.chaos.clear();
    this.partitionHandles = undefined;
    await this.proxy.settled();
  }

  /** Cuts the provider off: new connections refused, open HTTP and WS connections dropped. Idempotent. */
  partition(): void {
    if (this.partitionHandles) return;
    this.partitionHandles = [this.proxy.addFault({ type: 'refuse', label: 'partition' }), this.proxy.addFault({ type: 'ws_drop', label: 'partition' })];
    for (const h of this.partitionHandles) this.chaos.add(h);
  }

  /** Ends a partition; resolves once the port accepts connections again. */
  async heal(): Promise<void> {
    const handles = this.partitionHandles;
    this.partitionHandles = undefined;
    for (const h of handles ?? []) {
      h.remove();
      this.chaos.delete(h);
    }
    await this.proxy.settled();
  }

  get partitioned(): boolean {
    return this.partitionHandles !== undefined;
  }
}
