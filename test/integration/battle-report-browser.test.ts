import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../src/battle/report/write.js';
import { syntheticResult } from '../unit/battle/fixture.js';
import { launchChromium } from '../unit/battle/browser.js';
import type { TestBrowser } from '../unit/battle/browser.js';

describe('battle HTML report in a browser (every chart kind)', () => {
  let browser: TestBrowser | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'battle-html-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders every chart as a sized SVG with drawn series, without console errors or network', async () => {
    const files = await writeReports(dir, syntheticResult());
    const { charts, consoleErrors, requests } = await browser!.check(files.html);
    expect(consoleErrors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(charts.map((c) => c.id)).toEqual([
      'chart-latency',
      'chart-success',
      'chart-share',
      'chart-subscriptions',
      'chart-compare-p99',
      'chart-compare-success',
      'chart-soak-memory',
      'chart-soak-handles',
    ]);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.drawn, c.id).toBeGreaterThan(0);
      expect(c.drawnWithSize, c.id).toBe(c.drawn);
    }
  });
});
