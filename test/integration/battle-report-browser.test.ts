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

  it('renders every chart as a sized SVG with drawn series and the fault windows, without console errors or network', async () => {
    const result = syntheticResult();
    const files = await writeReports(dir, result);
    const { charts, tableHeaders, consoleErrors, requests } = await browser!.check(files.html);
    expect(consoleErrors).toEqual([]);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(charts.map((c) => c.id)).toEqual([
      'chart-latency',
      'chart-success',
      'chart-share',
      'chart-subscriptions',
      'chart-breakers',
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
      // Every chart has a time axis, so every one marks every fault window.
      expect(c.faultBands, c.id).toBe(result.faults.episodes.length);
    }
    expect(result.faults.episodes.length).toBeGreaterThan(0);
    expect(tableHeaders).toContainEqual(['provider', 'base latency', 'added jitter', 'served', 'share', 'attempts', 'breaker openings', 'faults injected']);
    expect(tableHeaders).toContainEqual(expect.arrayContaining(['disturbed req.', 'failover time']));
  });
});
