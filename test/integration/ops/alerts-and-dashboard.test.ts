import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLasso } from '../../../src/app.js';
import type { LassoInstance } from '../../../src/app.js';
import { lassoConfigSchema } from '../../../src/config/index.js';
import { Devnet } from '../../../src/devnet/index.js';

/**
 * The production alerting rules and the Grafana dashboard: promtool validates and unit-tests the
 * rules, and every metric they name must exist in the /metrics of a running Lasso (a rule on a
 * misspelt metric passes promtool and never fires).
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const RULES = join(ROOT, 'ops/prometheus/lasso-rules.yml');
const RULE_TESTS = join(ROOT, 'ops/prometheus/tests/lasso-rules.test.yml');
const DASHBOARD = join(ROOT, 'ops/grafana/lasso-dashboard.json');
const PROMTOOL = process.env.LASSO_PROMTOOL ?? 'promtool';
const run = promisify(execFile);

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { cwd: ROOT, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${PROMTOOL} not found: sudo apt-get install -y --no-install-recommends prometheus`);
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Metric names in PromQL text: `lasso_...` identifiers (recording rules `lasso:...` excluded). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\blasso_[a-z0-9_]+/g)].map((m) => m[0]);
}

describe('Prometheus rules and Grafana dashboard', () => {
  let devnet: Devnet | undefined;
  let lasso: LassoInstance | undefined;
  let exported: Set<string>;

  beforeAll(async () => {
    devnet = await Devnet.start({ nodes: 1, blockTimeMs: 0 });
    const config = lassoConfigSchema.parse({
      server: { host: '127.0.0.1', port: 0 },
      logging: { level: 'silent' },
      chains: { devnet: { chainId: devnet.chainId, providers: devnet.nodes().map((n) => ({ id: n.id, url: n.httpUrl, wsUrl: n.wsUrl })) } },
    });
    lasso = await startLasso({ config });
    const text = await (await fetch(`${lasso.url}/metrics`)).text();
    exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!])));
  }, 60_000);

  afterAll(async () => {
    await lasso?.close();
    await devnet?.stop();
  });

  it('promtool check rules passes', async () => {
    const r = await promtool('check', 'rules', RULES);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules passes (every alert fires on its unit test)', async () => {
    const r = await promtool('test', 'rules', RULE_TESTS);
    expect(r.code, r.output).toBe(0);
    const tested = new Set([...(await readFile(RULE_TESTS, 'utf8')).matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    const rules = parse(await readFile(RULES, 'utf8')) as { groups: { rules: { alert?: string }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules.flatMap((x) => (x.alert ? [x.alert] : [])));
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
  });

  it('every metric the rules and the dashboard name exists in /metrics of a running Lasso', async () => {
    const rules = parse(await readFile(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: { targets?: { expr: string }[] }[]; templating: { list: { query?: unknown }[] } };
    const named = new Set([
      ...rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr))),
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))),
      ...dashboard.templating.list.flatMap((v) => metricNames(JSON.stringify(v.query ?? ''))),
    ]);
    expect(named.size).toBeGreaterThan(25);
    expect([...named].filter((n) => !exported.has(n)).sort()).toEqual([]);
  });

  it('dashboard panels have unique ids and use the templated Prometheus datasource', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { uid: string; panels: { id: number; type: string; datasource?: { uid: string } }[] };
    expect(dashboard.uid).toBe('lasso');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) expect(p.datasource?.uid).toBe('${datasource}');
  });
});
