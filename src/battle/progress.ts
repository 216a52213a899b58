import type { ScenarioProgress } from '../chaos/scenario/index.js';
import { formatDuration, formatMs, formatPct } from './units.js';

/** How often a progress line is printed: every 5 s, every 2 s for runs under half a minute. */
export function progressInterval(durationMs: number): number {
  return durationMs < 30_000 ? 2000 : 5000;
}

/** One terminal line: elapsed, requests, success rate, recent p95, chaos events. */
export function progressLine(arm: string, p: ScenarioProgress, durationMs: number): string {
  const completed = p.completed;
  const ok = completed === 0 ? null : (p.success + p.rpcError) / completed;
  const chaos = p.chaosEvents === 0 ? 'none' : `${p.chaosEvents} (last: ${p.lastChaos?.phase ?? ''} ${p.lastChaos?.label ?? ''} @ ${formatDuration(p.lastChaos?.atMs ?? 0)})`;
  return (
    `[${arm}] ${formatDuration(Math.min(p.elapsedMs, durationMs)).padStart(9)} / ${formatDuration(durationMs)}` +
    `  requests ${String(completed).padStart(6)}` +
    `  ok ${formatPct(ok).padStart(7)}` +
    `  failed ${String(p.failed).padStart(4)}` +
    `  p95 ${formatMs(p.recentP95Ms).padStart(8)}` +
    `  in flight ${String(p.inFlight).padStart(3)}` +
    `  chaos ${chaos}`
  );
}
