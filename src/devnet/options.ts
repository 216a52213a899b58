import type { ComponentLogger } from '../observability/component-logger.js';
import type { CanonicalBlock, ReorgRecord } from './ground-truth.js';
import type { DevnetNodeInfo } from './node.js';

/** The logger the devnet takes; a pino Logger fits, and so does `console`. */
export type DevnetLogger = ComponentLogger;

export interface DevnetOptions {
  /** Number of anvil nodes. @default 3 */
  nodes?: number;
  /** Address every node listens on. @default '127.0.0.1' */
  host?: string;
  /** 0: each node gets an ephemeral port. Otherwise node i listens on `basePort + i`. @default 0 */
  basePort?: number;
  /** @default 1337 */
  chainId?: number;
  /** Start interval mining right away with this block time; 0 = only `mineBlock()` mines. @default 0 */
  blockTimeMs?: number;
  /** Ping transactions (emitter calls, one log each) the devnet puts in each mined block. @default 2 */
  txPerBlock?: number;
  /** Unix seconds of the genesis block. @default the current time, rounded down */
  genesisTimestamp?: number;
  /** Base fee of every block, in wei. @default 1 gwei */
  baseFeePerGas?: bigint;
  /** Mnemonic of the ten funded dev accounts. @default anvil's `test test ... junk` */
  mnemonic?: string;
  /** Deadline for one anvil process to start listening. @default 10_000 */
  startTimeoutMs?: number;
  /** Where the devnet reports what it does. @default silent */
  logger?: DevnetLogger;
  /**
   * Nodes that receive the canonical blocks late, by id (e.g. `{ 'node-2': 2 }`): see {@link Devnet.setLag}.
   * They get block 1 (the emitter) like every node, then lag from there. @default {} (every node in lockstep)
   */
  lagBlocks?: Record<string, number>;
}

/** Typed events of a {@link Devnet}. */
export interface DevnetEvents {
  /** A block joined the canonical chain (every in-sync node serves it already, lagging nodes got theirs). */
  block: [block: CanonicalBlock];
  /** A reorg finished; its replacement blocks were emitted as `block` events just before. */
  reorg: [reorg: ReorgRecord];
  /** A node changed state (started, caught up, paused, killed, ...). */
  node: [node: DevnetNodeInfo];
  /** Interval mining failed to mine a block (it keeps trying on the next tick). */
  'mining-error': [error: Error];
}

export interface MineOptions {
  /** Ping transactions the devnet adds to this block. @default the devnet's `txPerBlock` */
  txs?: number;
}

export interface ReorgOptions {
  /** Length of the new branch. @default depth + 1 (the new branch is longer, as on a real chain) */
  newBlocks?: number;
  /** Ping transactions per new block. @default the devnet's `txPerBlock` */
  txs?: number;
}

export const DEVNET_DEFAULTS = {
  nodes: 3,
  host: '127.0.0.1',
  basePort: 0,
  chainId: 1337,
  blockTimeMs: 0,
  txPerBlock: 2,
  baseFeePerGas: 1_000_000_000n,
  startTimeoutMs: 10_000,
} as const;
