import { BattleUsageError } from './errors.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/**
 * Parses a duration: `500ms`, `10s`, `1.5m`, `2h`, or a bare number of milliseconds.
 * Throws {@link BattleUsageError} (the caller adds where the value came from).
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new BattleUsageError(`invalid duration ${value}`);
    return value;
  }
  const m = DURATION.exec(value.trim());
  if (!m) throw new BattleUsageError(`invalid duration "${value}" (use e.g. 500ms, 10s, 30m, 1h)`);
  const n = Number(m[1]);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(n * factor);
}

const RATE = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m))?$/;

/** Parses a request rate: `50/s`, `3000/m` or a bare number (per second). Returns requests per second. */
export function parseRate(value: string | number): number {
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) throw new BattleUsageError(`invalid rate ${value}`);
    return value;
  }
  const m = RATE.exec(value.trim());
  if (!m) throw new BattleUsageError(`invalid rate "${value}" (use e.g. 50/s or 3000/m)`);
  const n = Number(m[1]) / (m[2] === 'm' ? 60 : 1);
  if (!(n > 0)) throw new BattleUsageError(`rate must be positive, got "${value}"`);
  return n;
}

/** `12.3 s`, `4 m 05 s`, `850 ms`: for terminal lines and reports. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} m ${String(s).padStart(2, '0')} s`;
}

/** Milliseconds with a precision that fits the magnitude. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms === 0) return '0 ms';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A ratio as a percentage with enough decimals to tell 99.9% from 100%. */
export function formatPct(ratio: number | null | undefined, digits = 2): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}
