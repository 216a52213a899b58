import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import type { Cluster } from '../helpers/cluster.js';
import { request } from 'undici';
import { getJson, rpc } from '../helpers/rpc.js';
import { waitFor } from '../helpers/wait.js';
import { launchChromium } from '../unit/battle/browser.js';
import type { TestBrowser } from '../unit/battle/browser.js';

const KILLED = 'node-1';

/** Client traffic on every provider (load-balanced), so a dead provider's breaker opens on requests. */
function startTraffic(url: string, concurrency: number): { stop: () => Promise<void>; failures: () => number } {
  let running = true;
  let failures = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const res = await rpc(url, 'net_version').catch(() => undefined); // a provider answers it (eth_blockNumber comes from the chain view)
      if (!res || res.body?.error !== undefined) failures++;
      // Paced, not flat out: the dashboard should watch Lasso, not a saturated test process.
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    failures: () => failures,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function pageStates(page: Page): Promise<Record<string, string>> {
  return (await page.evaluate(`Object.fromEntries(Array.from(document.querySelectorAll('[data-provider]:not(li)')).map((n) => [n.dataset.provider, n.dataset.state]))`)) as Record<string, string>;
}

async function apiStates(lassoUrl: string): Promise<Record<string, string>> {
  const view = await getJson(`${lassoUrl}/api/providers`);
  return Object.fromEntries(view.chains[0].providers.map((p: { id: string; channels: { breaker: string }[] }) => [p.id, p.channels[0]!.breaker]));
}

describe('live dashboard in a browser', () => {
  let cluster: Cluster;
  let browser: TestBrowser | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lasso-dashboard-'));
    cluster = await startCluster({ chain: { defaultStrategy: 'load-balanced', breaker: { recoveryMs: 500, maxRecoveryMs: 1000} } });
    await cluster.devnet.mineBlock();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await cluster?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('follows a provider dying and coming back, agreeing with /api/providers, without a reload', async () => {
    const traffic = startTraffic(cluster.rpcUrl, 4);
    try {
      const context = browser!.browser.contexts()[0] ?? (await browser!.browser.newContext());
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      const foreign: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(cluster.lasso.url)) foreign.push(r.url());
      });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${cluster.lasso.url}/dashboard`, { waitUntil: 'load' });

      // The page and /api/providers agree, read between two page reads so a transition in between is retried.
      const agreed = async (expected: string): Promise<Record<string, string> | undefined> => {
        const before = await pageStates(page);
        const api = await apiStates(cluster.lasso.url);
        const after = await pageStates(page);
        const same = JSON.stringify(before) === JSON.stringify(api) || JSON.stringify(after) === JSON.stringify(api);
        return same && api[KILLED] === expected ? api : undefined;
      };

      const initial = await waitFor(() => agreed('closed'), { timeoutMs: 5_000, what: 'every provider closed on the page' });
      expect(Object.values(initial)).toEqual(['closed', 'closed', 'closed']);

      await cluster.devnet.kill(KILLED, 'SIGKILL');
      const killedAt = Date.now();
      const opened = await waitFor(() => agreed('open'), { timeoutMs: 5_000, what: `${KILLED} open on the page` });
      expect(Date.now() - killedAt).toBeLessThan(5_000);
      expect(opened).toEqual({ 'node-0': 'closed', [KILLED]: 'open', 'node-2': 'closed' });

      await cluster.devnet.restart(KILLED);
      const closed = await waitFor(() => agreed('closed'), { timeoutMs: 10_000, what: `${KILLED} closed again on the page` });
      expect(Object.values(closed)).toEqual(['closed', 'closed', 'closed']);

      const log = (await page.evaluate(`Array.from(document.querySelectorAll('#log li[data-type="breaker"]')).map((li) => li.dataset.provider + ': ' + li.querySelector('.text').textContent + ' @' + li.querySelector('time').textContent)`)) as string[];
      const mine = log.filter((line) => line.startsWith(`${KILLED}: `));
      expect(mine.some((line) => /http breaker closed → open .*@\d\d:\d\d:\d\d\.\d{3}$/.test(line)), mine.join('\n')).toBe(true);
      expect(mine.some((line) => /http breaker half_open → closed .*@\d\d:\d\d:\d\d\.\d{3}$/.test(line)), mine.join('\n')).toBe(true);

      const png = await page.screenshot({ type: 'png' });
      await writeFile(join(dir, 'dashboard.png'), png);
      // Judged by the browser itself: the fraction of pixels unlike the page background, and how many colours.
      const stats = (await page.evaluate(`(async () => {
        const img = new Image();
        img.src = 'data:image/png;base64,${png.toString('base64')}';
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width; canvas.height = img.height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const data = ctx.getImageData(0, 0, img.width, img.height).data;
        const bg = [data[0], data[1], data[2]];
        let differing = 0; const colours = new Set();
        for (let i = 0; i < data.length; i += 4) {
          if (Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) > 30) differing++;
          if (i % 64 === 0) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        }
        return { width: img.width, height: img.height, differing: differing / (data.length / 4), colours: colours.size };
      })()`)) as { width: number; height: number; differing: number; colours: number };
      expect(stats.width).toBe(1280);
      expect(stats.differing).toBeGreaterThan(0.05);
      expect(stats.colours).toBeGreaterThan(20);

      expect(consoleErrors).toEqual([]);
      expect(foreign).toEqual([]);
      await page.close();
    } finally {
      await traffic.stop();
    }
  });

  it('asks for the admin key when one is configured, and the page carries ?key= to its event stream', async () => {
    const adminKey = 'dashboard-admin-key';
    const guarded = await startCluster({ nodes: 1, server: { auth: { adminKey } } });
    try {
      const status = async (path: string) => {
        const res = await request(`${guarded.lasso.url}${path}`);
        await res.body.dump();
        return res.statusCode;
      };
      expect(await status('/dashboard')).toBe(401);
      expect(await status('/dashboard/events')).toBe(401);
      const page = await browser!.browser.contexts()[0]!.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      await page.goto(`${guarded.lasso.url}/dashboard?key=${adminKey}`, { waitUntil: 'load' });
      await page.waitForSelector('article[data-provider="node-0"][data-state="closed"]', { timeout: 5_000 });
      expect(consoleErrors).toEqual([]);
      await page.close();
    } finally {
      await guarded.close();
    }
  });
});
