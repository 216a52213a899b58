import { describe, expect, it } from 'vitest';
import { BattleUsageError } from '../../../src/battle/errors.js';
import { formatMs, formatPct, parseDuration, parseRate } from '../../../src/battle/units.js';

describe('battle units', () => {
  it('parses durations with units', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration(42)).toBe(42);
  });

  it('rejects malformed durations with a typed error', () => {
    expect(() => parseDuration('soon')).toThrow(BattleUsageError);
    expect(() => parseDuration('-1s')).toThrow(/invalid duration/);
    expect(() => parseDuration(-5)).toThrow(BattleUsageError);
  });

  it('parses rates per second or per minute', () => {
    expect(parseRate('50/s')).toBe(50);
    expect(parseRate('50')).toBe(50);
    expect(parseRate('3000/m')).toBe(50);
    expect(() => parseRate('0/s')).toThrow(BattleUsageError);
    expect(() => parseRate('fast')).toThrow(/invalid rate/);
  });

  it('formats numbers for reports', () => {
    expect(formatMs(3.456)).toBe('3.46 ms');
    expect(formatMs(45.67)).toBe('45.7 ms');
    expect(formatMs(456.7)).toBe('457 ms');
    expect(formatMs(12_345)).toBe('12.3 s');
    expect(formatMs(null)).toBe('—');
    expect(formatMs(0)).toBe('0 ms');
    expect(formatPct(0.9995, 2)).toBe('99.95%');
  });
});
