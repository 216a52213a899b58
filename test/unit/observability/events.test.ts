import { describe, expect, it } from 'vitest';
import { LassoEvents } from '../../../src/observability/events.js';
import type { LassoEvent } from '../../../src/observability/events.js';

describe('LassoEvents', () => {
  it('stamps events with the clock and delivers them to every listener, by type when asked', () => {
    const bus = new LassoEvents({ now: () => 1234 });
    const all: LassoEvent[] = [];
    const cooldowns: number[] = [];
    bus.on((e) => all.push(e));
    bus.on('cooldown', (e) => cooldowns.push(e.until));
    bus.emit({ type: 'breaker', chain: 'c', provider: 'p', transport: 'http', from: 'closed', to: 'open', reason: 'consecutive_timeout' });
    bus.emit({ type: 'cooldown', chain: 'c', provider: 'p', until: 5000 });
    expect(all.map((e) => [e.type, e.at])).toEqual([
      ['breaker', 1234],
      ['cooldown', 1234],
    ]);
    expect(cooldowns).toEqual([5000]);
  });

  it('keeps a throwing listener away from the emitter and the other listeners', () => {
    const errors: unknown[] = [];
    const bus = new LassoEvents({ onListenerError: (err) => errors.push(err) });
    const seen: string[] = [];
    bus.on(() => {
      throw new Error('listener bug');
    });
    bus.on((e) => seen.push(e.type));
    expect(() => bus.emit({ type: 'outlier', chain: 'c', provider: 'p', reason: 'far ahead' })).not.toThrow();
    expect(seen).toEqual(['outlier']);
    expect(errors).toHaveLength(1);
  });

  it('stops delivering after unsubscribe', () => {
    const bus = new LassoEvents();
    const seen: string[] = [];
    const off = bus.on((e) => seen.push(e.type));
    off();
    bus.emit({ type: 'gap_fill', chain: 'c', kind: 'newHeads', from: 1, to: 2, blocks: 2 });
    expect(seen).toEqual([]);
    expect(bus.listenerCount).toBe(0);
  });
});
