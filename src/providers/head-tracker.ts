import { describeOutcome } from '../transport/outcome.js';
import type { ProviderRuntime } from './provider.js';

export interface HeadTrackerOptions {
  providers: readonly ProviderRuntime[];
  /** How often each provider is asked for eth_blockNumber. */
  intervalMs: number;
  /** Per-poll timeout; a slow provider must not delay the next round. */
  timeoutMs: number;
  now: () => number;
  /** Called after every poll (success or not) so metrics and lag state stay current. */
  onUpdate: (provider: ProviderRuntime) => void;
  /**
   * Told how each poll went: polls are the routing evidence of providers that get no user traffic.
   * `latencyMs` is undefined for a poll that failed.
   */
  onProbe?: (provider: ProviderRuntime, latencyMs: number | undefined) => void;
}

/**
 * Polls every provider's eth_blockNumber on an interval. Polls bypass breakers on purpose: they are
 * how a provider that receives no traffic (excluded, lagging) is seen to recover.
 */
export class HeadTracker {
  private timer: NodeJS.Timeout | undefined;
  private readonly polling = new Set<string>();

  constructor(private readonly options: HeadTrackerOptions) {}

  start(): void {
    if (this.timer) return;
    void this.pollAll();
    this.timer = setInterval(() => void this.pollAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Polls every provider once and resolves when all have answered or timed out. */
  async pollAll(): Promise<void> {
    await Promise.all(this.options.providers.map((p) => this.poll(p)));
  }

  private async poll(provider: ProviderRuntime): Promise<void> {
    if (this.polling.has(provider.id)) return; // previous poll still hanging
    this.polling.add(provider.id);
    try {
      const started = performance.now();
      const outcome = await provider.http.send({ method: 'eth_blockNumber', timeoutMs: this.options.timeoutMs });
      if (outcome.type === 'result' && typeof outcome.result === 'string' && /^0x[0-9a-fA-F]+$/.test(outcome.result)) {
        this.options.onProbe?.(provider, performance.now() - started);
        this.observe(provider, Number.parseInt(outcome.result, 16));
      } else {
        this.options.onProbe?.(provider, undefined);
        provider.head.lastError = outcome.type === 'result' ? 'malformed eth_blockNumber result' : describeOutcome(outcome);
      }
    } finally {
      this.polling.delete(provider.id);
      this.options.onUpdate(provider);
    }
  }

  /** Records a head seen by any means (poll, newHeads subscription). Heads never move backwards except on reorg depth, which polls reveal. */
  observe(provider: ProviderRuntime, blockNumber: number): void {
    provider.head.number = blockNumber;
    provider.head.updatedAt = this.options.now();
    provider.head.lastError = undefined;
  }
}
