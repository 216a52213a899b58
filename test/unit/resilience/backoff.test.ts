import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../../src/resilience/backoff.js';

describe('backoffMs', () => {
  it('doubles from the base up to the cap', () => {
    const waits = [0, 1, 2, 3, 4, 5, 6, 7, 100].map((attempt) => backoffMs(attempt, { baseMs: 25, maxMs: 1_000 }));
    expect(waits).toEqual([25, 50, 100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('jitters the capped wait within ±ratio', () => {
    const at = (r: number) => backoffMs(10, { baseMs: 100, maxMs: 1_000, jitterRatio: 0.2, random: () => r });
    expect(at(0)).toBe(800);
    expect(at(0.5)).toBe(1_000);
    expect(at(0.999_999)).toBe(1_200);
  });
});
