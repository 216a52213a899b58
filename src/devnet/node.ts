import type { AnvilProcess } from './anvil-process.js';
import { NodeDownError } from './errors.js';
import type { AnvilRpc } from './rpc.js';

/**
 * Where a node stands:
 * - `starting`: process spawned, not yet checked;
 * - `catching-up`: replaying recorded blocks (after restart, resume, thaw or a failed block);
 * - `in-sync`: at the canonical head and receives every new block;
 * - `paused`: running but its mining is paused, so it falls behind (a lagging provider);
 * - `lagging`: receives the canonical blocks a fixed number of blocks late (see `Devnet.setLag`);
 * - `out-of-sync`: running and unpaused but missed or failed a block; the next mine repairs it;
 * - `frozen`: SIGSTOPped; accepts TCP connections but never answers;
 * - `down`: process not running; `stopped`: the devnet stopped.
 */
export type DevnetNodeStatus = 'starting' | 'catching-up' | 'in-sync' | 'paused' | 'lagging' | 'out-of-sync' | 'frozen' | 'down' | 'stopped';

/** A snapshot of one node, safe to hand out (never changes after it is returned). */
export interface DevnetNodeInfo {
  /** `node-0`, `node-1`, ... */
  id: string;
  /** PID of the anvil process, while it runs. */
  pid: number | undefined;
  httpUrl: string;
  wsUrl: string;
  port: number;
  /** The process is alive (it may still be catching up, paused or frozen). */
  running: boolean;
  miningPaused: boolean;
  /** Blocks this node receives late: it gets block k when block k + lagBlocks is mined (0 = in lockstep). */
  lagBlocks: number;
  /** At the canonical head and part of lockstep mining. */
  inSync: boolean;
  /** Highest canonical block the devnet knows this node has. */
  head: number;
  status: DevnetNodeStatus;
}

/** Mutable state of one devnet node; owned by the Devnet. */
export class DevnetNode {
  proc: AnvilProcess | undefined;
  rpc: AnvilRpc | undefined;
  paused = false;
  /** Blocks the node is fed late; 0 keeps it in lockstep. */
  lag = 0;
  frozen = false;
  inSync = false;
  catchingUp = false;
  stopped = false;
  head = -1;

  constructor(
    readonly id: string,
    readonly host: string,
    /** The port the node listens on; 0 until the first start picked one, then kept for restarts. */
    public port: number,
  ) {}

  get running(): boolean {
    return this.proc?.alive ?? false;
  }

  /** Running, unpaused, not frozen and at the head: gets every new block. */
  get mining(): boolean {
    return this.running && this.inSync && this.lag === 0 && !this.paused && !this.frozen && !this.catchingUp;
  }

  get status(): DevnetNodeStatus {
    if (this.stopped) return 'stopped';
    if (!this.proc) return 'starting';
    if (!this.running) return 'down';
    if (this.frozen) return 'frozen';
    if (this.catchingUp) return 'catching-up';
    if (this.paused) return 'paused';
    if (this.lag > 0) return 'lagging';
    return this.inSync ? 'in-sync' : 'out-of-sync';
  }

  get httpUrl(): string {
    return `http://${urlHost(this.host)}:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://${urlHost(this.host)}:${this.port}`;
  }

  info(): DevnetNodeInfo {
    return {
      id: this.id,
      pid: this.running ? this.proc?.pid : undefined,
      httpUrl: this.httpUrl,
      wsUrl: this.wsUrl,
      port: this.port,
      running: this.running,
      miningPaused: this.paused,
      lagBlocks: this.lag,
      inSync: this.mining,
      head: this.head,
      status: this.status,
    };
  }

  /** JSON-RPC call to this node; throws NodeDownError when it has no process. */
  call<T>(method: string, params: unknown[] = []): Promise<T> {
    if (!this.rpc || !this.running) return Promise.reject(new NodeDownError(this.id, method));
    return this.rpc.call<T>(method, params);
  }

  /** JSON-RPC batch to this node (members may run concurrently on the node). */
  batch<T>(calls: Array<{ method: string; params: unknown[] }>): Promise<Array<PromiseSettledResult<T>>> {
    if (!this.rpc || !this.running) return Promise.reject(new NodeDownError(this.id, calls[0]?.method ?? 'batch'));
    return this.rpc.batch<T>(calls);
  }
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
