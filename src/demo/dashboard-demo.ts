import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtInScenario, runBattle } from '../battle/index.js';
import type { BattleScenario } from '../battle/index.js';
import { FrameRecorder, assembleWebp } from './frame-recorder.js';

/** Wall-clock frames per second captured, and how much faster the animation plays. */
const FPS = 2;
const SPEEDUP = 3;
const DURATION_MS = 45_000;

/**
 * A short chaos timeline with something for every part of the dashboard: a provider killed and
 * restarted (breaker open -> half-open -> closed, failovers), one rate-limited (cooldown), a reorg,
 * and a partition of another (subscription failover and gap fill when it carried the head stream).
 */
function demoScenario(): BattleScenario {
  const base = builtInScenario('smoke', { durationMs: DURATION_MS, rate: 40 });
  return {
    ...base,
    name: 'dashboard-demo',
    title: 'Dashboard demo',
    lasso: { chain: { breaker: { recoveryMs: 2000, maxRecoveryMs: 4000 } } },
    subscriptions: [{ kind: 'newHeads', count: 2 }, { kind: 'logs' }],
    chaos: [
      { at: 6_000, action: 'kill', target: 'node-1' },
      { at: 14_000, action: 'restart', target: 'node-1' },
      { at: 20_000, action: 'fault', target: 'node-2', fault: { type: 'http_status', status: 429, retryAfterSeconds: 5, probability: 0.5 }, durationMs: 6_000 },
      { at: 27_000, action: 'reorg', depth: 2 },
      { at: 31_000, action: 'partition', target: 'node-0', durationMs: 6_000 },
    ],
  };
}

/**
 * `npm run demo`: plays the demo timeline against a devnet through Lasso, records the dashboard in
 * headless Chromium at a steady frame rate and writes an animated WebP plus one still (a frame
 * with an open breaker) to `outDir`.
 */
export async function recordDemo(outDir: string): Promise<{ webp: string; png: string; bytes: number }> {
  const frames = await mkdtemp(join(tmpdir(), 'lasso-demo-'));
  let recorder: FrameRecorder | undefined;
  let started: Promise<void> | undefined;
  try {
    await runBattle({
      scenario: demoScenario(),
      onLine: (line) => process.stderr.write(`${line}\n`),
      onDashboard: (url) => {
        process.stderr.write(`dashboard: ${url}\n`);
        recorder = new FrameRecorder({ url, dir: frames, fps: FPS, durationMs: DURATION_MS });
        started = recorder.start();
      },
    });
    await started;
    const recording = await recorder!.stop();
    recorder = undefined;
    if (recording.consoleErrors.length > 0) throw new Error(`the dashboard logged console errors:\n${recording.consoleErrors.join('\n')}`);
    await mkdir(outDir, { recursive: true });
    const webp = join(outDir, 'dashboard-demo.webp');
    const png = join(outDir, 'dashboard.png');
    await assembleWebp({ dir: frames, out: webp, fps: FPS, speedup: SPEEDUP, width: 1024, quality: 55 });
    const still = recording.framesWithOpenBreaker[Math.floor(recording.framesWithOpenBreaker.length / 2)] ?? Math.floor(recording.frames / 2);
    await copyFile(join(frames, `frame-${String(still).padStart(5, '0')}.png`), png);
    return { webp, png, bytes: (await stat(webp)).size };
  } finally {
    await recorder?.stop().catch(() => undefined);
    await rm(frames, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  recordDemo(resolve(process.argv[2] ?? 'docs/dashboard')).then(
    ({ webp, png, bytes }) => {
      process.stdout.write(`${webp} (${(bytes / 1e6).toFixed(2)} MB)\n${png}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
