/**
 * Generates `docs/scenarios/README.md` from scenario result files (the JSON that `scenario()`
 * writes with `resultsDir`). Run: `node dist/chaos/scenario/docs.js [resultsDir] [outFile]`
 * (defaults: docs/scenarios/results, docs/scenarios/README.md).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SCENARIO_RESULT_SCHEMA, SCENARIO_RESULT_SCHEMA_VERSION } from './types.js';
import type { ScenarioResult } from './types.js';
import { errorMessage } from '../../error-message.js';

/** A file that is not a scenario result of a version this code reads. */
export class ScenarioResultFormatError extends Error {
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'ScenarioResultFormatError';
  }
}

export async function readScenarioResult(file: string): Promise<ScenarioResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ScenarioResultFormatError(file, `not JSON (${errorMessage(err)})`);
  }
  const r = parsed as Partial<ScenarioResult>;
  if (r.schema !== SCENARIO_RESULT_SCHEMA) throw new ScenarioResultFormatError(file, `schema is ${JSON.stringify(r.schema)}, expected ${SCENARIO_RESULT_SCHEMA}`);
  if (r.schemaVersion !== SCENARIO_RESULT_SCHEMA_VERSION) {
    throw new ScenarioResultFormatError(file, `schemaVersion ${String(r.schemaVersion)} is not ${SCENARIO_RESULT_SCHEMA_VERSION}`);
  }
  return r as ScenarioResult;
}

/** Every `*.json` result in a directory, sorted by scenario name. */
export async function readScenarioResults(dir: string): Promise<ScenarioResult[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const results = await Promise.all(files.map((f) => readScenarioResult(join(dir, f))));
  return results.sort((a, b) => a.name.localeCompare(b.name));
}

const pct = (ratio: number): string => `${(ratio * 100).toFixed(2)}%`;
const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const cell = (v: unknown): string => String(v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Unicode sparkline of a series (empty values as a space). */
export function sparkline(values: readonly (number | null)[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const nums = values.filter((v): v is number => v !== null);
  if (nums.length === 0) return '';
  const min = Math.min(...nums);
  const max = Math.max(...nums);
  return values.map((v) => (v === null ? ' ' : bars[max === min ? 3 : Math.round(((v - min) / (max - min)) * (bars.length - 1))])).join('');
}

function describeProviders(r: ScenarioResult): string {
  return r.config.providers
    .map((p) => {
      const bits: string[] = [];
      if (p.latencyMs) bits.push(`+${p.latencyMs} ms`);
      if (p.jitterMs) bits.push(`jitter ${p.jitterMs} ms`);
      for (const f of (p.faults ?? []) as { type: string; probability?: number; status?: number; code?: number; ms?: number; methods?: string[] }[]) {
        const what = [f.type, f.status, f.code, f.ms !== undefined ? `${f.ms} ms` : undefined].filter((x) => x !== undefined).join(' ');
        bits.push(`${what}${f.probability !== undefined ? ` p=${f.probability}` : ''}${f.methods ? ` (${f.methods.join(', ')})` : ''}`);
      }
      return bits.length === 0 ? p.id : `${p.id} (${bits.join('; ')})`;
    })
    .join(', ');
}

function renderScenario(r: ScenarioResult): string {
  const t = r.totals;
  const w = r.config.workload;
  const lines: string[] = [];
  lines.push(`## ${r.name}: ${r.title ?? r.name}`, '');
  lines.push(`**Result: ${r.passed ? 'PASS' : 'FAIL'}**. ${r.description ?? ''}`, '');
  lines.push('Setup:', '');
  lines.push(`- Providers: ${describeProviders(r)}; one devnet node behind one fault proxy each.`);
  lines.push(
    `- Workload: open model, ${w.rate} req/s for ${w.durationMs / 1000} s (${t.requests} requests), mix ` +
      `${Object.entries(w.mix)
        .map(([k, v]) => `${k} ${v}`)
        .join(' / ')}${w.strategy ? `, strategy \`${w.strategy}\`` : ''}; blocks every ${r.config.blockTimeMs} ms.`,
  );
  if (r.config.lasso.chain) lines.push(`- Lasso chain config: \`${JSON.stringify(r.config.lasso.chain)}\``);
  if (r.config.subscriptions.length > 0) {
    lines.push(`- Subscribers: ${r.config.subscriptions.map((s) => `${s.count ?? 1} x ${s.kind}`).join(', ')} over WebSocket.`);
  }
  if (r.chaos.length > 0) {
    const steps = r.chaos.map((e) => `${Math.round(e.atMs)} ms: ${e.label}${e.phase === 'apply' ? '' : ` (${e.phase})`}${e.error ? ` — error: ${e.error}` : ''}`);
    lines.push(`- Chaos: ${steps.join('; ')}.`);
  }
  lines.push('');
  lines.push('Numbers:', '');
  lines.push(
    `- ${t.requests} requests, success ${pct(t.successRatio)}` +
      (t.rpcError > 0 ? ` (answered ${pct(t.answeredRatio)}: ${t.rpcError} deterministic upstream errors passed through)` : '') +
      `, ${t.failed} failed; latency from the scheduled send time p50 ${ms(t.latencyMs.p50)}, p95 ${ms(t.latencyMs.p95)}, p99 ${ms(t.latencyMs.p99)}, max ${ms(t.latencyMs.max)}.`,
  );
  const served = Object.entries(t.byProvider)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, n]) => `${id} ${pct(n / Math.max(1, t.requests))}`);
  if (served.length > 0) lines.push(`- Served by: ${served.join(', ')}.`);
  if (Object.keys(t.errors).length > 0) lines.push(`- Errors: ${Object.entries(t.errors).map(([k, v]) => `${k} x ${v}`).join(', ')}.`);
  const transitions = [...r.metrics.breakerTransitions]
    .sort((a, b) => a.provider.localeCompare(b.provider) || a.transport.localeCompare(b.transport))
    .map((b) => `${b.provider} ${b.transport} ${b.from} -> ${b.to} x ${b.count}`);
  if (transitions.length > 0) lines.push(`- Breaker transitions (Prometheus): ${transitions.join(', ')}.`);
  const points = r.timeSeries.points;
  if (points.length > 1) {
    lines.push(
      `- Per ${r.timeSeries.bucketMs / 1000} s: success \`${sparkline(points.map((p) => p.successRatio))}\` ` +
        `(min ${pct(Math.min(...points.map((p) => p.successRatio ?? 1)))}), p95 \`${sparkline(points.map((p) => (p.requests === 0 ? null : p.latencyMs.p95)))}\` ` +
        `(max ${ms(Math.max(...points.map((p) => p.latencyMs.p95)))}).`,
    );
  }
  for (const s of r.subscriptions) {
    const rep = s.report;
    lines.push(
      `- Subscriber ${s.name} (${s.kind}, blocks ${s.window.from}..${s.window.to}): ${rep.delivered}/${rep.expected} delivered, ` +
        `${rep.missed.length} missed, ${rep.duplicateCount} duplicates, ${rep.outOfOrder.length} out of order, ${rep.reorgErrors.length} reorg errors` +
        `${'removedDelivered' in rep ? `, ${rep.removedDelivered} removed: true` : ''}; ${s.subscriptionIds.length} subscription id, ${s.closes.length} closes.`,
    );
  }
  lines.push('');
  if (r.checks.length > 0) {
    lines.push('| Check | Measured | Expected | |', '|---|---|---|---|');
    for (const c of r.checks) lines.push(`| ${cell(c.name)} | ${cell(c.error ? `error: ${c.error}` : c.measured)} | ${cell(c.expected)} | ${c.passed ? 'pass' : '**FAIL**'} |`);
    lines.push('');
  }
  lines.push(`<sub>seed ${r.seed}, ${r.startedAt}, ${r.environment.node} on ${r.environment.platform}, ${r.environment.cpus} CPUs</sub>`, '');
  return lines.join('\n');
}

/** The Markdown page for a set of results. */
export function renderScenarioDocs(results: readonly ScenarioResult[], source = 'docs/scenarios/results'): string {
  const out: string[] = [];
  out.push('# Resilience scenarios', '');
  out.push(
    `<!-- Generated by \`npm run docs:scenarios\` from ${source}/*.json. Do not edit by hand. -->`,
    '',
    'Each scenario runs Lasso on real processes: a devnet of anvil nodes serving one chain, one fault proxy in front of each ' +
      'node (Lasso\'s own, seeded), and Lasso in front of the proxies, all on 127.0.0.1. An open-model workload sends requests ' +
      'at a constant rate whatever earlier requests are doing, and measures latency from the scheduled send time (HDR ' +
      'histograms), so a stall cannot hide behind slow sends. A chaos timeline breaks things while it runs. Subscribers are ' +
      "checked block by block and log by log against the devnet's ground truth. The numbers below are the checks each " +
      'scenario asserts in the test suite (`test/integration/scenarios/`), as measured in the committed run.',
    '',
  );
  out.push('| Scenario | Requests | Success | p50 | p95 | p99 | Checks |', '|---|---|---|---|---|---|---|');
  for (const r of results) {
    const t = r.totals;
    const anchor = `${r.name}-${(r.title ?? '').toLowerCase()}`.replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
    out.push(
      `| [${cell(r.name)}](#${anchor}) ${cell(r.title ?? '')} | ${t.requests} | ${pct(t.successRatio)} | ${ms(t.latencyMs.p50)} | ${ms(t.latencyMs.p95)} | ${ms(t.latencyMs.p99)} | ` +
        `${r.checks.filter((c) => c.passed).length}/${r.checks.length}${r.passed ? '' : ' **FAIL**'} |`,
    );
  }
  out.push('');
  for (const r of results) out.push(renderScenario(r));
  return `${out.join('\n').trimEnd()}\n`;
}

export async function generateScenarioDocs(options: { resultsDir: string; outFile: string }): Promise<{ scenarios: number }> {
  const results = await readScenarioResults(options.resultsDir);
  await writeFile(options.outFile, renderScenarioDocs(results, options.resultsDir));
  return { scenarios: results.length };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const [resultsDir = 'docs/scenarios/results', outFile = 'docs/scenarios/README.md'] = process.argv.slice(2);
  generateScenarioDocs({ resultsDir, outFile }).then(
    ({ scenarios }) => console.log(`wrote ${outFile} from ${scenarios} scenario result(s) in ${resultsDir}`),
    (err: unknown) => {
      console.error(errorMessage(err));
      process.exitCode = 1;
    },
  );
}
