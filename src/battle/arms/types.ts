import type { DeliveredHead } from '../../chaos/checker/index.js';
import type { ScenarioCluster } from '../../chaos/scenario/index.js';
import type { RpcTarget } from '../../chaos/workload/index.js';

/** The clients a `--compare` run puts side by side. */
export type ArmId = 'pinned' | 'viem-fallback' | 'ethers-fallback' | 'lasso';

export const ARM_IDS: readonly ArmId[] = ['lasso', 'pinned', 'viem-fallback', 'ethers-fallback'];

export interface ArmContext {
  cluster: ScenarioCluster;
  /** Provider the pinned arm talks to. */
  pinTo: string;
  /** Start a block watcher (the scenario has newHeads subscribers). */
  watchBlocks: boolean;
  blockTimeMs: number;
}

/** What an arm contributes to a run: the workload's target and, when asked, a newHeads watcher. */
export interface ArmInstance {
  /** Absent: the scenario's default target (Lasso over HTTP). */
  target?: RpcTarget;
  heads?: HeadWatcher;
  close(): Promise<void>;
}

/** A client-side block watcher, as an application would run it, recording what it was handed. */
export interface HeadWatcher {
  readonly name: string;
  heads(): DeliveredHead[];
  highest(): number | undefined;
  /** Errors the library reported (or blocks it announced but could not fetch). */
  readonly errors: number;
  close(): Promise<void>;
}

export interface BattleArm {
  id: ArmId;
  title: string;
  /** How the arm is configured, for the report. */
  describe(pinTo: string): string;
  /** Copied into the arm's result: what a reader needs to judge its figures fairly. */
  note?: string;
  create(ctx: ArmContext): Promise<ArmInstance>;
}

/** Collects delivered heads in arrival order. */
export class HeadRecorder implements HeadWatcher {
  private readonly list: DeliveredHead[] = [];
  private top: number | undefined;
  errors = 0;
  /** Announced blocks the library then returned as null (not there yet). */
  nullBlocks = 0;
  private stopper: () => Promise<void> = async () => undefined;

  constructor(readonly name: string) {}

  add(number: bigint | number | null | undefined, hash: string | null | undefined, parentHash: string | null | undefined): void {
    if (number === null || number === undefined || !hash || !parentHash) {
      this.errors++;
      return;
    }
    const n = Number(number);
    this.list.push({ number: n, hash: hash as DeliveredHead['hash'], parentHash: parentHash as DeliveredHead['parentHash'], tMs: Date.now() });
    this.top = this.top === undefined ? n : Math.max(this.top, n);
  }

  onClose(stop: () => Promise<void>): void {
    this.stopper = stop;
  }

  heads(): DeliveredHead[] {
    return [...this.list];
  }

  highest(): number | undefined {
    return this.top;
  }

  close(): Promise<void> {
    return this.stopper();
  }
}

/** Races a library call against the workload's client timeout. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | { ok: 'timeout' }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: 'timeout' }), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, error });
      },
    );
  });
}

/** Makes a library result JSON-safe (bigints become decimal strings). */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null');
}

/**
 * JSON-RPC errors a correct service passes through as answers (a revert, invalid params): the
 * same line Lasso draws, so that all arms count the same things as failures.
 */
export function isDeterministicRpcError(code: number, message: string): boolean {
  return code === 3 || code === -32602 || /revert/i.test(message);
}
