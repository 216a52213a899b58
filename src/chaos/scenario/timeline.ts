import type { FaultRule } from '../fault-proxy/rules.js';
import { parseFaultRules } from '../fault-proxy/rules.js';
import { createPrng } from '../prng.js';
import type { RunClock } from '../workload/clock.js';
import type { ScenarioCluster } from './cluster.js';
import { ScenarioConfigError } from './errors.js';
import { errorMessage } from '../../error-message.js';

/** Provider ids, or `'all'`. */
export type ChaosTarget = string | readonly string[];

interface ChaosBase {
  /** When to act, in ms after the workload starts. */
  at: number;
  /** Extra uniform random delay in [0, jitterMs), drawn from the scenario's seed. @default 0 */
  jitterMs?: number;
  /** Shown in reports instead of the generated description. */
  label?: string;
}

/**
 * One step of a chaos timeline.
 * - `kill` / `restart`: the provider's devnet node process (SIGKILL by default; restart replays the chain);
 *   the proxy stays up, so Lasso sees connection resets, as behind a load balancer.
 * - `pauseMining` / `resumeMining`: the node stops receiving blocks (a lagging provider) / catches up.
 * - `freeze` / `thaw`: SIGSTOP / SIGCONT the node: connections accepted, nothing answered.
 * - `fault`: add fault-proxy rules (for `durationMs`, or until `clearFaults`).
 * - `clearFaults`: remove every rule the timeline added on the targets (baseline rules stay).
 * - `partition` / `heal`: refuse connections and drop WebSockets (for `durationMs`, or until `heal`).
 * - `flap`: down for `downMs`, up for `upMs`, repeated for `durationMs`, ending up (down = partition, or `mode: 'kill'`).
 * - `reorg`: roll the devnet back `depth` blocks and mine a new branch.
 * - `startMining` / `stopMining`: change the block production driver.
 * - `custom`: run a function (tests: anything the list above lacks).
 */
export type ChaosEntry =
  | (ChaosBase & { action: 'kill'; target: ChaosTarget; signal?: 'SIGKILL' | 'SIGTERM' })
  | (ChaosBase & { action: 'restart' | 'pauseMining' | 'resumeMining' | 'freeze' | 'thaw'; target: ChaosTarget })
  | (ChaosBase & { action: 'fault'; target: ChaosTarget; fault: FaultRule | FaultRule[]; durationMs?: number })
  | (ChaosBase & { action: 'clearFaults'; target: ChaosTarget })
  | (ChaosBase & { action: 'partition'; target: ChaosTarget; durationMs?: number })
  | (ChaosBase & { action: 'heal'; target: ChaosTarget })
  | (ChaosBase & { action: 'flap'; target: ChaosTarget; durationMs: number; downMs: number; upMs?: number; mode?: 'partition' | 'kill' })
  | (ChaosBase & { action: 'reorg'; depth: number; newBlocks?: number })
  | (ChaosBase & { action: 'startMining'; blockTimeMs: number })
  | (ChaosBase & { action: 'stopMining' })
  | (ChaosBase & { action: 'custom'; name: string; run: (ctx: { cluster: ScenarioCluster; clock: RunClock }) => unknown });

export type ChaosAction = ChaosEntry['action'];

/**
 * What happened, one record per operation: `apply` for one-shot actions, `start` / `end` for
 * actions with a duration, `down` / `up` for each flap toggle. Times are run-clock ms.
 */
export interface ChaosEventRecord {
  /** Index of the timeline entry. */
  entry: number;
  action: ChaosAction;
  phase: 'apply' | 'start' | 'end' | 'down' | 'up';
  targets: string[];
  label: string;
  /** When the timeline planned it (entry time + jitter, + offsets for ends and toggles). */
  plannedAtMs: number;
  /** When the operation began. */
  atMs: number;
  /** When it completed (e.g. a restarted node caught up, a healed port listens again). */
  doneMs?: number;
  error?: string;
}

const TARGETED = new Set<ChaosAction>(['kill', 'restart', 'pauseMining', 'resumeMining', 'freeze', 'thaw', 'fault', 'clearFaults', 'partition', 'heal', 'flap']);

/** Validates entries against the provider ids; throws {@link ScenarioConfigError} naming the entry. */
export function validateTimeline(entries: readonly ChaosEntry[], providerIds: readonly string[]): void {
  entries.forEach((e, i) => {
    const where = `chaos[${i}] (${e.action})`;
    if (!Number.isFinite(e.at) || e.at < 0) throw new ScenarioConfigError(`${where}: at must be >= 0 ms`);
    if (e.jitterMs !== undefined && !(e.jitterMs >= 0)) throw new ScenarioConfigError(`${where}: jitterMs must be >= 0`);
    if (TARGETED.has(e.action)) resolveTargets((e as { target: ChaosTarget }).target, providerIds, where);
    switch (e.action) {
      case 'fault':
        try {
          parseFaultRules(Array.isArray(e.fault) ? e.fault : [e.fault]);
        } catch (err) {
          throw new ScenarioConfigError(`${where}: ${errorMessage(err)}`);
        }
        if (e.durationMs !== undefined && !(e.durationMs > 0)) throw new ScenarioConfigError(`${where}: durationMs must be > 0`);
        break;
      case 'partition':
        if (e.durationMs !== undefined && !(e.durationMs > 0)) throw new ScenarioConfigError(`${where}: durationMs must be > 0`);
        break;
      case 'flap':
        if (!(e.durationMs > 0) || !(e.downMs > 0) || (e.upMs !== undefined && !(e.upMs > 0))) {
          throw new ScenarioConfigError(`${where}: durationMs, downMs (and upMs) must be > 0`);
        }
        break;
      case 'reorg':
        if (!Number.isInteger(e.depth) || e.depth < 1) throw new ScenarioConfigError(`${where}: depth must be a positive integer`);
        break;
      case 'startMining':
        if (!(e.blockTimeMs > 0)) throw new ScenarioConfigError(`${where}: blockTimeMs must be > 0`);
        break;
      case 'custom':
        if (typeof e.run !== 'function') throw new ScenarioConfigError(`${where}: run must be a function`);
        break;
      default:
        break;
    }
  });
}

export function resolveTargets(target: ChaosTarget, providerIds: readonly string[], where = 'chaos'): string[] {
  const list = target === 'all' ? [...providerIds] : typeof target === 'string' ? [target] : [...target];
  if (list.length === 0) throw new ScenarioConfigError(`${where}: no target`);
  for (const id of list) {
    if (!providerIds.includes(id)) throw new ScenarioConfigError(`${where}: unknown target ${JSON.stringify(id)}; providers are ${providerIds.join(', ')}`);
  }
  return list;
}

/** A timeline entry as written to the JSON result (functions become their name). */
export function serializeEntry(entry: ChaosEntry): Record<string, unknown> {
  if (entry.action === 'custom') {
    const { run: _run, ...rest } = entry;
    return rest;
  }
  return { ...entry };
}

/**
 * Plays a chaos timeline against a scenario cluster. Entry times are relative to `start()`;
 * each operation is recorded with when it was planned, began and completed. A failing operation
 * is recorded with its error and does not stop the timeline.
 */
export class ChaosTimeline {
  readonly events: ChaosEventRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<void>>();
  private readonly jitter: number[];
  private originMs = 0;
  private stopped = false;

  constructor(
    private readonly entries: readonly ChaosEntry[],
    private readonly cluster: ScenarioCluster,
    private readonly clock: RunClock,
    seed: number,
  ) {
    validateTimeline(entries, cluster.providers.map((p) => p.id));
    const prng = createPrng(seed);
    this.jitter = entries.map((e) => (e.jitterMs ? Math.floor(prng.next() * e.jitterMs) : 0));
  }

  /** Schedules every entry relative to now. */
  start(): void {
    this.originMs = this.clock.now();
    this.entries.forEach((entry, i) => this.at(entry.at + (this.jitter[i] ?? 0), () => this.run(i, entry)));
  }

  /** Cancels what has not started yet and waits for operations in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** [start, end] run-clock ms of an entry with a duration (end undefined while it lasts). */
  window(entry: number): { startMs: number | undefined; endMs: number | undefined } {
    const mine = this.events.filter((e) => e.entry === entry);
    return { startMs: mine.find((e) => e.phase === 'start' || e.phase === 'apply')?.atMs, endMs: mine.find((e) => e.phase === 'end')?.atMs };
  }

  private at(relativeMs: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.stopped) fn();
      },
      Math.max(0, this.originMs + relativeMs - this.clock.now()),
    );
    this.timers.add(timer);
  }

  /** Runs one operation and records it. */
  private op(entry: number, action: ChaosAction, phase: ChaosEventRecord['phase'], targets: string[], label: string, plannedRel: number, fn: () => Promise<unknown>): Promise<void> {
    const record: ChaosEventRecord = { entry, action, phase, targets, label, plannedAtMs: round(this.originMs + plannedRel), atMs: round(this.clock.now()) };
    this.events.push(record);
    const work = (async () => {
      try {
        await fn();
      } catch (err) {
        record.error = errorMessage(err);
      } finally {
        record.doneMs = round(this.clock.now());
      }
    })();
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
    return work;
  }

  private run(index: number, entry: ChaosEntry): void {
    const planned = entry.at + (this.jitter[index] ?? 0);
    const ids = this.cluster.providers.map((p) => p.id);
    const targets = 'target' in entry ? resolveTargets(entry.target, ids) : [];
    const { devnet } = this.cluster;
    const nodes = targets.map((t) => this.cluster.provider(t).nodeId);
    const faults = targets.map((t) => this.cluster.provider(t).faults);
    const label = entry.label ?? describe(entry, targets);
    const each = (fn: (i: number) => Promise<unknown> | unknown) => () => Promise.all(targets.map(async (_t, i) => fn(i)));
    const op = (phase: ChaosEventRecord['phase'], rel: number, fn: () => Promise<unknown>) => this.op(index, entry.action, phase, targets, label, rel, fn);

    switch (entry.action) {
      case 'kill':
        void op('apply', planned, each((i) => devnet.kill(nodes[i]!, entry.signal ?? 'SIGKILL')));
        return;
      case 'restart':
        void op('apply', planned, each((i) => devnet.restart(nodes[i]!)));
        return;
      case 'pauseMining':
        void op('apply', planned, each((i) => devnet.pauseMining(nodes[i]!)));
        return;
      case 'resumeMining':
        void op('apply', planned, each((i) => devnet.resumeMining(nodes[i]!)));
        return;
      case 'freeze':
        void op('apply', planned, each((i) => devnet.freeze(nodes[i]!)));
        return;
      case 'thaw':
        void op('apply', planned, each((i) => devnet.thaw(nodes[i]!)));
        return;
      case 'clearFaults':
        void op('apply', planned, each((i) => faults[i]!.clearChaos()));
        return;
      case 'heal':
        void op('apply', planned, each((i) => faults[i]!.heal()));
        return;
      case 'reorg':
        void op('apply', planned, () => devnet.reorg(entry.depth, entry.newBlocks === undefined ? {} : { newBlocks: entry.newBlocks }));
        return;
      case 'startMining':
        void op('apply', planned, async () => devnet.startMining(entry.blockTimeMs));
        return;
      case 'stopMining':
        void op('apply', planned, async () => devnet.stopMining());
        return;
      case 'custom':
        void op('apply', planned, async () => entry.run({ cluster: this.cluster, clock: this.clock }));
        return;
      case 'fault': {
        const rules = Array.isArray(entry.fault) ? entry.fault : [entry.fault];
        const removers: (() => Promise<void>)[] = [];
        if (entry.durationMs === undefined) {
          void op('apply', planned, each((i) => faults[i]!.add(rules)));
          return;
        }
        void op('start', planned, each((i) => removers.push(faults[i]!.add(rules))));
        this.at(planned + entry.durationMs, () => void op('end', planned + entry.durationMs!, () => Promise.all(removers.map((r) => r()))));
        return;
      }
      case 'partition': {
        if (entry.durationMs === undefined) {
          void op('apply', planned, each((i) => faults[i]!.partition()));
          return;
        }
        void op('start', planned, each((i) => faults[i]!.partition()));
        this.at(planned + entry.durationMs, () => void op('end', planned + entry.durationMs!, each((i) => faults[i]!.heal())));
        return;
      }
      case 'flap': {
        const upMs = entry.upMs ?? entry.downMs;
        const down = entry.mode === 'kill' ? each((i) => devnet.kill(nodes[i]!)) : each((i) => faults[i]!.partition());
        const up = entry.mode === 'kill' ? each((i) => devnet.restart(nodes[i]!)) : each((i) => faults[i]!.heal());
        let t = 0;
        while (t < entry.durationMs) {
          const downAt = planned + t;
          this.at(downAt, () => void op('down', downAt, down));
          const upAt = planned + Math.min(entry.durationMs, t + entry.downMs);
          this.at(upAt, () => void op('up', upAt, up));
          t += entry.downMs + upMs;
        }
        return;
      }
    }
  }
}

function describe(entry: ChaosEntry, targets: string[]): string {
  const who = targets.join(', ');
  switch (entry.action) {
    case 'fault': {
      const rules = Array.isArray(entry.fault) ? entry.fault : [entry.fault];
      const what = rules.map((r) => r.type + ('status' in r ? ` ${r.status}` : '') + ('code' in r ? ` ${r.code}` : '')).join(' + ');
      return `${what} on ${who}${entry.durationMs ? ` for ${entry.durationMs} ms` : ''}`;
    }
    case 'partition':
      return `partition ${who}${entry.durationMs ? ` for ${entry.durationMs} ms` : ''}`;
    case 'flap':
      return `flap ${who} (${entry.downMs} ms down / ${entry.upMs ?? entry.downMs} ms up) for ${entry.durationMs} ms`;
    case 'reorg':
      return `reorg depth ${entry.depth}`;
    case 'startMining':
      return `mining every ${entry.blockTimeMs} ms`;
    case 'stopMining':
      return 'stop mining';
    case 'custom':
      return entry.name;
    default:
      return `${entry.action} ${who}`;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
