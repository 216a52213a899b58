import { describe, expect, it } from 'vitest';
import { Cooldown } from '../../../src/resilience/index.js';

function setup(options: ConstructorParameters<typeof Cooldown>[0] = {}) {
  const clock = { t: 50_000 };
  return { clock, cooldown: new Cooldown({ now: () => clock.t, ...options }) };
}

describe('Cooldown', () => {
  it('is idle until triggered', () => {
    const { cooldown } = setup();
    expect(cooldown.isCoolingDown()).toBe(false);
    expect(cooldown.remainingMs()).toBe(0);
    expect(cooldown.until).toBeUndefined();
  });

  it('defaults to 30 s without a hint and expires on the clock', () => {
    const { cooldown, clock } = setup();
    expect(cooldown.coolDown()).toBe(clock.t + 30_000);
    expect(cooldown.isCoolingDown()).toBe(true);
    clock.t += 29_999;
    expect(cooldown.remainingMs()).toBe(1);
    clock.t += 1;
    expect(cooldown.isCoolingDown()).toBe(false);
    expect(cooldown.until).toBeUndefined();
  });

  it('uses the hint, clamped to [min, max]', () => {
    const { cooldown, clock } = setup();
    cooldown.coolDown(2_000);
    expect(cooldown.remainingMs()).toBe(2_000);
    cooldown.clear();
    cooldown.coolDown(0);
    expect(cooldown.remainingMs()).toBe(1_000);
    cooldown.clear();
    cooldown.coolDown(3_600_000);
    expect(cooldown.remainingMs()).toBe(300_000);
    cooldown.clear();
    cooldown.coolDown(Number.NaN);
    expect(cooldown.until).toBe(clock.t + 30_000);
  });

  it('never shortens a running cooldown, but extends it', () => {
    const { cooldown, clock } = setup();
    cooldown.coolDown(10_000);
    cooldown.coolDown(1_000);
    expect(cooldown.remainingMs()).toBe(10_000);
    clock.t += 5_000;
    cooldown.coolDown(20_000);
    expect(cooldown.remainingMs()).toBe(20_000);
    expect(cooldown.snapshot()).toEqual({ coolingDown: true, until: clock.t + 20_000, remainingMs: 20_000, totalTriggers: 3 });
  });

  it('honours configured default/min/max', () => {
    const { cooldown } = setup({ defaultMs: 5_000, minMs: 100, maxMs: 8_000 });
    cooldown.coolDown();
    expect(cooldown.remainingMs()).toBe(5_000);
    cooldown.clear();
    cooldown.coolDown(50);
    expect(cooldown.remainingMs()).toBe(100);
    cooldown.coolDown(60_000);
    expect(cooldown.remainingMs()).toBe(8_000);
  });
});
