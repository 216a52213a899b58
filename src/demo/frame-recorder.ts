import { spawn } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** Debian's Chromium; playwright-core drives it without downloading a browser of its own. */
export const CHROMIUM = process.env.LASSO_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

export interface RecorderOptions {
  /** Page to record. */
  url: string;
  /** Where the numbered PNG frames go. */
  dir: string;
  /** Frames per second of wall time. @default 2 */
  fps?: number;
  /** Capturing stops by itself after this long (ms). */
  durationMs: number;
  /** @default 1280 x 800 */
  width?: number;
  height?: number;
}

export interface Recording {
  frames: number;
  /** Frames the page showed at least one open breaker in (e.g. to pick a still). */
  framesWithOpenBreaker: number[];
  /** Console errors of the page while recording (should be none). */
  consoleErrors: string[];
}

/**
 * Screenshots a page at a steady rate: frame i is taken at start + i / fps, whatever the previous
 * one cost, so the assembled animation plays at a true multiple of real time (a slot missed by a
 * slow screenshot repeats the previous frame rather than shifting the rest).
 */
export class FrameRecorder {
  private browser: Browser | undefined;
  private page: Page | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly recording: Recording = { frames: 0, framesWithOpenBreaker: [], consoleErrors: [] };

  constructor(private readonly options: RecorderOptions) {}

  async start(): Promise<void> {
    const { chromium } = await import('playwright-core');
    await mkdir(this.options.dir, { recursive: true });
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    const page = await this.browser.newPage({ viewport: { width: this.options.width ?? 1280, height: this.options.height ?? 800 } });
    page.on('console', (m) => {
      if (m.type() === 'error') this.recording.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => this.recording.consoleErrors.push(e.message));
    await page.goto(this.options.url, { waitUntil: 'load' });
    await page.waitForSelector('[data-provider]', { timeout: 10_000 });
    this.page = page;
    this.running = true;
    this.loop = this.capture(page);
  }

  /** Stops capturing and closes the browser; returns what was recorded. */
  async stop(): Promise<Recording> {
    this.running = false;
    await this.loop;
    await this.browser?.close();
    return this.recording;
  }

  private async capture(page: Page): Promise<void> {
    const periodMs = 1000 / (this.options.fps ?? 2);
    const startedAt = Date.now();
    const framePath = (n: number): string => join(this.options.dir, `frame-${String(n).padStart(5, '0')}.png`);
    let slot = 0;
    while (this.running && Date.now() < startedAt + this.options.durationMs) {
      const taken = framePath(this.recording.frames);
      await page.screenshot({ path: taken, type: 'png' });
      if ((await page.locator('article[data-provider][data-state="open"]').count()) > 0) this.recording.framesWithOpenBreaker.push(this.recording.frames);
      this.recording.frames++;
      slot++;
      // Slots missed by a slow screenshot show the same picture, so the animation's clock stays true.
      while (Date.now() >= startedAt + (slot + 1) * periodMs) {
        await copyFile(taken, framePath(this.recording.frames++));
        slot++;
      }
      const wait = startedAt + slot * periodMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** Assembles numbered PNG frames into an animated WebP with Debian's ffmpeg. */
export async function assembleWebp(options: { dir: string; out: string; fps: number; speedup: number; width: number; quality: number }): Promise<void> {
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-framerate', String(options.fps * options.speedup),
    '-i', join(options.dir, 'frame-%05d.png'),
    '-vf', `scale=${options.width}:-1:flags=lanczos`,
    '-c:v', 'libwebp_anim', '-lossless', '0', '-q:v', String(options.quality), '-compression_level', '6', '-loop', '0',
    options.out,
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.env.LASSO_FFMPEG ?? '/usr/bin/ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${stderr.trim()}`))));
  });
}
