import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoopLagMonitor } from '../../../src/observability/loop-lag.js';

describe('LoopLagMonitor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports a stall of the loop as soon as it ends', () => {
    const monitor = new LoopLagMonitor(20, 50);
    expect(monitor.lagMs()).toBe(0);
    const stalledUntil = performance.now() + 80;
    while (performance.now() < stalledUntil) {
      // a synchronous stall, as a long GC or a burst of work would cause
    }
    expect(monitor.lagMs()).toBeGreaterThanOrEqual(55);
    monitor.stop();
  });

  it('ticks only while asked: it stops a window after the last question and starts again on the next', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const monitor = new LoopLagMonitor(20, 50);
    expect(vi.getTimerCount()).toBe(0);
    monitor.lagMs();
    expect(vi.getTimerCount()).toBe(1);
    for (let i = 0; i < 30; i++) {
      vi.advanceTimersByTime(100);
      monitor.lagMs();
    }
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(20 * 50 + 40);
    expect(vi.getTimerCount()).toBe(0);
    expect(monitor.lagMs()).toBe(0);
    expect(vi.getTimerCount()).toBe(1);
    monitor.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
