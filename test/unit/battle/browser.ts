// Debian chromium driven by playwright-core over CDP: we spawn the process ourselves so that the
// test owns its PID (killed in afterAll) and its fresh --user-data-dir.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.LASSO_CHROMIUM ?? '/usr/bin/chromium';

export interface ChartCheck {
  /** Per chart: drawn series, lanes or areas, and the shaded fault windows it marks. */
  charts: { id: string; width: number; height: number; drawn: number; drawnWithSize: number; faultBands: number }[];
  /** Header cells of every table, per table. */
  tableHeaders: string[][];
  consoleErrors: string[];
  requests: string[];
}

export interface TestBrowser {
  browser: Browser;
  pid: number;
  /** Opens a file and measures every chart: SVG size, drawn series/areas with a non-empty box. */
  check(file: string): Promise<ChartCheck>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
  const profile = await mkdtemp(join(tmpdir(), 'lasso-chromium-'));
  const child: ChildProcess = spawn(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', 'about:blank'],
    // Its own process group, so that the renderer and utility helpers it forks can be killed with it.
    // TMPDIR inside the profile: chromium's singleton socket directory then goes when the profile does.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, TMPDIR: profile } },
  );
  const pid = child.pid;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const running = () => child.exitCode === null && child.signalCode === null;
  // SIGTERM first: chromium then reaps its own helper processes; SIGKILL if it lingers.
  const kill = async () => {
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => running() && child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    // Helpers can outlive the main process for a moment and keep writing into the profile.
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // ESRCH: the whole group is already gone.
      }
    }
    await rm(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
  };
  if (pid === undefined) throw new Error('chromium did not start');
  let endpoint: string;
  try {
    endpoint = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools endpoint within 15 s:\n${text}`)), 15_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited with ${code}:\n${text}`));
      });
    });
  } catch (err) {
    await kill();
    throw err;
  }
  const browser = await chromium.connectOverCDP(endpoint);
  return {
    browser,
    pid,
    async check(file) {
      const context = browser.contexts()[0] ?? (await browser.newContext());
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      await page.setViewportSize({ width: 1100, height: 900 });
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      // Plain JS string: the test project is typed without DOM lib.
      const charts = (await page.evaluate(`(() => Array.from(document.querySelectorAll('figure.chart')).map((fig) => {
        const svg = fig.querySelector('svg');
        const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
        const drawn = Array.from(fig.querySelectorAll('path.series, polygon.area, g.series, rect.series'));
        const drawnWithSize = drawn.filter((el) => { const b = el.getBBox(); return b.width > 0 || b.height > 0; }).length;
        const faultBands = fig.querySelectorAll('rect.band-fault').length;
        return { id: fig.id, width: box.width, height: box.height, drawn: drawn.length, drawnWithSize, faultBands };
      }))()`)) as ChartCheck['charts'];
      const tableHeaders = (await page.evaluate(
        `Array.from(document.querySelectorAll('table thead')).map((h) => Array.from(h.querySelectorAll('th')).map((th) => th.textContent))`,
      )) as string[][];
      await page.close();
      return { charts, tableHeaders, consoleErrors, requests };
    },
    async close() {
      await browser.close().catch(() => undefined);
      await kill();
    },
  };
}
