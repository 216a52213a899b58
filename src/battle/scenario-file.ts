import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { faultRuleSchema } from '../chaos/fault-proxy/rules.js';
import type { FaultRule } from '../chaos/fault-proxy/rules.js';
import { ScenarioConfigError, providerSpecs, validateTimeline } from '../chaos/scenario/index.js';
import type { ChaosEntry, ProviderSpec, SubscriptionSpec } from '../chaos/scenario/index.js';
import { DEFAULT_METHOD_MIX, WORKLOAD_METHODS } from '../chaos/workload/index.js';
import { ScenarioFileError } from './errors.js';
import type { ScenarioFileIssue } from './errors.js';
import { DEFAULT_SEED } from './scenarios.js';
import { CONSISTENCY_SLOS } from './scenario-types.js';
import type { BattleScenario, ScenarioOverrides, SloSpec, SoakSpec } from './scenario-types.js';
import { parseDuration, parseRate } from './units.js';
import { errorMessage } from '../error-message.js';

/** A number or a string read by `parse`; what it throws becomes the field's issue. */
function parsedWith(parse: (v: number | string) => number) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: errorMessage(err) });
      return z.NEVER;
    }
  });
}

// Time fields take "500ms", "10s", "30m", "1h" or a number of milliseconds.
const duration = parsedWith(parseDuration);
const positiveDuration = duration.refine((v) => v > 0, 'must be longer than 0');
const rate = parsedWith(parseRate);
// Ratios take 0.999 or "99.9%".
const ratio = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : /^\s*\d+(\.\d+)?\s*%\s*$/.test(v) ? Number((Number.parseFloat(v) / 100).toPrecision(12)) : Number.NaN;
  if (!(n >= 0 && n <= 1)) {
    ctx.addIssue({ code: 'custom', message: `must be a ratio in [0, 1] or a percentage such as "99.9%", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});
const count = z.number().int().min(0);
const target = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const faults = z.union([faultRuleSchema, z.array(faultRuleSchema).min(1)]);

const base = { at: duration, jitter: duration.optional(), label: z.string().max(200).optional() };
const chaosSchema = z.discriminatedUnion('action', [
  z.strictObject({ ...base, action: z.literal('kill'), target, signal: z.enum(['SIGKILL', 'SIGTERM']).optional() }),
  z.strictObject({ ...base, action: z.enum(['restart', 'pauseMining', 'resumeMining', 'freeze', 'thaw', 'clearFaults', 'heal']), target }),
  z.strictObject({ ...base, action: z.literal('fault'), target, fault: faults, duration: positiveDuration.optional() }),
  z.strictObject({ ...base, action: z.literal('partition'), target, duration: positiveDuration.optional() }),
  z.strictObject({ ...base, action: z.literal('flap'), target, duration: positiveDuration, down: positiveDuration, up: positiveDuration.optional(), mode: z.enum(['partition', 'kill']).optional() }),
  z.strictObject({ ...base, action: z.literal('reorg'), depth: z.number().int().min(1), newBlocks: z.number().int().min(1).optional() }),
  z.strictObject({ ...base, action: z.literal('startMining'), blockTime: positiveDuration }),
  z.strictObject({ ...base, action: z.literal('stopMining') }),
]);

const providerSchema = z.strictObject({
  id: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'must match /^[a-zA-Z0-9_-]+$/').optional(),
  latency: duration.optional(),
  jitter: duration.optional(),
  lagBlocks: count.optional(),
  faults: z.array(faultRuleSchema).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});

const sloSchema = z.strictObject({
  successRatio: ratio.optional(),
  p50: duration.optional(),
  p95: duration.optional(),
  p99: duration.optional(),
  wsDeliveryRatio: ratio.optional(),
  duplicateRatio: ratio.optional(),
  maxGapBlocks: count.optional(),
  failover: duration.optional(),
  breakerOpen: duration.optional(),
  recovery: duration.optional(),
  disturbedLatency: positiveDuration.optional(),
  headsBackwards: count.optional(),
  olderLatest: count.optional(),
  bogusHeads: count.optional(),
  staleAfterReceipt: count.optional(),
  stalenessP99Blocks: count.optional(),
  staleAnswers: count.optional(),
});

const soakSchema = z.strictObject({
  interval: positiveDuration.optional(),
  warmup: duration.optional(),
  maxGrowth: z
    .strictObject({ heapMb: z.number().min(0).optional(), rssMb: z.number().min(0).optional(), handles: count.optional(), sockets: count.optional(), subscriptions: count.optional() })
    .optional(),
  max48h: z
    .strictObject({
      heapMb: z.number().min(0).optional(),
      rssMb: z.number().min(0).optional(),
      eventLoopLagMs: z.number().min(0).optional(),
      handles: count.optional(),
      fds: count.optional(),
      sockets: count.optional(),
      upstreamSockets: count.optional(),
      wsConnections: count.optional(),
      subscriptions: count.optional(),
    })
    .optional(),
});

/** The YAML document of a scenario file. */
export const scenarioFileSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'must match /^[a-zA-Z0-9_.-]+$/ (it names the report files)').optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  duration: positiveDuration,
  providers: z.union([z.number().int().min(1).max(16), z.array(providerSchema).min(1).max(16)]).default(3),
  lasso: z
    .strictObject({ chain: z.record(z.string(), z.unknown()).optional(), server: z.record(z.string(), z.unknown()).optional(), logLevel: z.string().optional() })
    .optional(),
  workload: z.strictObject({
    rate,
    mix: z.partialRecord(z.enum(WORKLOAD_METHODS), z.number().min(0)).optional(),
    timeout: positiveDuration.optional(),
    strategy: z.string().optional(),
    logsRangeBlocks: z.number().int().min(1).optional(),
  }),
  blockTime: duration.optional(),
  txPerBlock: count.optional(),
  subscriptions: z
    .array(
      z.strictObject({
        kind: z.enum(['newHeads', 'logs']),
        name: z.string().optional(),
        count: z.number().int().min(1).max(1000).optional(),
        filter: z.union([z.literal('emitter'), z.strictObject({ address: z.union([z.string(), z.array(z.string())]).optional(), topics: z.array(z.unknown()).optional() })]).optional(),
      }),
    )
    .default([]),
  chaos: z.array(chaosSchema).default([]),
  slos: sloSchema.default({}),
  soak: soakSchema.optional(),
  compare: z.strictObject({ pinTo: z.string().optional() }).optional(),
});

export type ScenarioFile = z.output<typeof scenarioFileSchema>;

/** Reads, parses and validates a YAML (or JSON) scenario file. Throws {@link ScenarioFileError} listing every problem by path. */
export async function loadScenarioFile(path: string, overrides: ScenarioOverrides = {}): Promise<BattleScenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScenarioFileError(path, [{ path: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  return parseScenarioText(text, path, overrides);
}

/** Validates scenario text (YAML); `file` names it in errors and provides the default name. */
export function parseScenarioText(text: string, file: string, overrides: ScenarioOverrides = {}): BattleScenario {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ScenarioFileError(file, [{ path: '', message: `not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` }]);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ScenarioFileError(file, [{ path: '', message: 'must be a mapping (name, duration, providers, workload, chaos, slos...)' }]);
  const parsed = scenarioFileSchema.safeParse(doc);
  if (!parsed.success) {
    throw new ScenarioFileError(
      file,
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  return toScenario(parsed.data, file, overrides);
}

function toScenario(f: ScenarioFile, file: string, overrides: ScenarioOverrides): BattleScenario {
  const issues: ScenarioFileIssue[] = [];
  const providers: (ProviderSpec & { id: string })[] = (() => {
    const list: ProviderSpec[] =
      typeof f.providers === 'number'
        ? Array.from({ length: f.providers }, () => ({}))
        : f.providers.map((p) => ({
            ...(p.id !== undefined && { id: p.id }),
            ...(p.latency !== undefined && { latencyMs: p.latency }),
            ...(p.jitter !== undefined && { jitterMs: p.jitter }),
            ...(p.lagBlocks !== undefined && { lagBlocks: p.lagBlocks }),
            ...(p.faults !== undefined && { faults: p.faults as FaultRule[] }),
            ...(p.config !== undefined && { config: p.config }),
          }));
    try {
      return providerSpecs(list);
    } catch (err) {
      issues.push({ path: 'providers', message: errorMessage(err) });
      return [];
    }
  })();
  const ids = providers.map((p) => p.id);
  const chaos: ChaosEntry[] = f.chaos.map((c, i) => {
    const targets = 'target' in c ? (c.target === 'all' ? [] : Array.isArray(c.target) ? c.target : [c.target]) : [];
    for (const t of targets) if (ids.length > 0 && !ids.includes(t)) issues.push({ path: `chaos.${i}.target`, message: `unknown provider "${t}"; providers are ${ids.join(', ')}` });
    return toChaosEntry(c);
  });
  if (issues.length === 0) {
    try {
      validateTimeline(chaos, ids);
    } catch (err) {
      if (!(err instanceof ScenarioConfigError)) throw err;
      issues.push({ path: 'chaos', message: err.message });
    }
  }
  if (f.compare?.pinTo !== undefined && !ids.includes(f.compare.pinTo)) issues.push({ path: 'compare.pinTo', message: `unknown provider "${f.compare.pinTo}"` });
  if (issues.length > 0) throw new ScenarioFileError(file, issues);

  const slo = f.slos;
  const slos: SloSpec = {
    ...(slo.successRatio !== undefined && { successRatio: slo.successRatio }),
    ...(slo.p50 !== undefined && { p50Ms: slo.p50 }),
    ...(slo.p95 !== undefined && { p95Ms: slo.p95 }),
    ...(slo.p99 !== undefined && { p99Ms: slo.p99 }),
    ...(slo.wsDeliveryRatio !== undefined && { wsDeliveryRatio: slo.wsDeliveryRatio }),
    ...(slo.duplicateRatio !== undefined && { duplicateRatio: slo.duplicateRatio }),
    ...(slo.maxGapBlocks !== undefined && { maxGapBlocks: slo.maxGapBlocks }),
    ...(slo.failover !== undefined && { failoverMs: slo.failover }),
    ...(slo.breakerOpen !== undefined && { breakerOpenMs: slo.breakerOpen }),
    ...(slo.recovery !== undefined && { recoveryMs: slo.recovery }),
    ...(slo.disturbedLatency !== undefined && { disturbedLatencyMs: slo.disturbedLatency }),
    ...Object.fromEntries(CONSISTENCY_SLOS.flatMap((id) => (slo[id] === undefined ? [] : [[id, slo[id]]]))),
  };
  const soak: SoakSpec | undefined = f.soak && {
    ...(f.soak.interval !== undefined && { intervalMs: f.soak.interval }),
    ...(f.soak.warmup !== undefined && { warmupMs: f.soak.warmup }),
    ...(f.soak.maxGrowth !== undefined && { maxGrowth: f.soak.maxGrowth }),
    ...(f.soak.max48h !== undefined && { max48h: f.soak.max48h }),
  };
  const subscriptions: SubscriptionSpec[] = f.subscriptions.map((s) => ({
    kind: s.kind,
    ...(s.name !== undefined && { name: s.name }),
    ...(s.count !== undefined && { count: s.count }),
    ...(s.filter !== undefined && { filter: s.filter as SubscriptionSpec['filter'] }),
  }));
  const name = f.name ?? basename(file, extname(file)).replace(/[^a-zA-Z0-9_.-]/g, '-');
  return {
    name,
    title: f.title ?? name,
    description: f.description ?? '',
    source: file,
    seed: overrides.seed ?? f.seed ?? DEFAULT_SEED,
    durationMs: overrides.durationMs ?? f.duration,
    providers,
    ...(f.lasso && { lasso: f.lasso }),
    workload: {
      rate: overrides.rate ?? f.workload.rate,
      mix: f.workload.mix ?? { ...DEFAULT_METHOD_MIX },
      ...(f.workload.timeout !== undefined && { timeoutMs: f.workload.timeout }),
      ...(f.workload.strategy !== undefined && { strategy: f.workload.strategy }),
      ...(f.workload.logsRangeBlocks !== undefined && { logsRangeBlocks: f.workload.logsRangeBlocks }),
    },
    blockTimeMs: f.blockTime ?? 1000,
    ...(f.txPerBlock !== undefined && { txPerBlock: f.txPerBlock }),
    subscriptions,
    chaos,
    slos,
    ...(soak && { soak }),
    ...(f.compare && { compare: { ...(f.compare.pinTo !== undefined && { pinTo: f.compare.pinTo }) } }),
  };
}

function toChaosEntry(c: z.output<typeof chaosSchema>): ChaosEntry {
  const common = { at: c.at, ...(c.jitter !== undefined && { jitterMs: c.jitter }), ...(c.label !== undefined && { label: c.label }) };
  switch (c.action) {
    case 'kill':
      return { ...common, action: 'kill', target: c.target, ...(c.signal && { signal: c.signal }) };
    case 'fault':
      return { ...common, action: 'fault', target: c.target, fault: c.fault as FaultRule | FaultRule[], ...(c.duration !== undefined && { durationMs: c.duration }) };
    case 'partition':
      return { ...common, action: 'partition', target: c.target, ...(c.duration !== undefined && { durationMs: c.duration }) };
    case 'flap':
      return { ...common, action: 'flap', target: c.target, durationMs: c.duration, downMs: c.down, ...(c.up !== undefined && { upMs: c.up }), ...(c.mode && { mode: c.mode }) };
    case 'reorg':
      return { ...common, action: 'reorg', depth: c.depth, ...(c.newBlocks !== undefined && { newBlocks: c.newBlocks }) };
    case 'startMining':
      return { ...common, action: 'startMining', blockTimeMs: c.blockTime };
    case 'stopMining':
      return { ...common, action: 'stopMining' };
    default:
      return { ...common, action: c.action, target: c.target };
  }
}
