import { EventEmitter } from 'node:events';
import { getContractAddress } from 'viem';
import type { Address, Hex, RpcLog } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { PrivateKeyAccount } from 'viem/accounts';
import { ACCOUNT_COUNT, DEFAULT_MNEMONIC, RESERVED_ACCOUNT_INDEXES, deriveAccounts } from './accounts.js';
import type { DevnetAccount } from './accounts.js';
import { silentLogger } from '../observability/component-logger.js';
import type { ComponentLogger } from '../observability/component-logger.js';
import { AnvilProcess } from './anvil-process.js';
import { applyBlock, findCommonAncestor, mineOn, rawTransactions, rawTxHash, readPool, txHashesOf } from './block-sync.js';
import type { AnvilBlock } from './block-sync.js';
import { EMITTER_INIT, REVERT_SELECTOR, encodePingCalldata } from './emitter-contract.js';
import {
  DevnetError,
  DevnetStoppedError,
  DivergenceError,
  InvalidReorgError,
  NoMiningNodeError,
  NodeDownError,
  UnknownNodeError,
} from './errors.js';
import { GroundTruth } from './ground-truth.js';
import type { CanonicalBlock, ReadonlyGroundTruth, ReorgRecord } from './ground-truth.js';
import { DevnetNode } from './node.js';
import type { DevnetNodeInfo } from './node.js';
import { AnvilRpc } from './rpc.js';
import { SerialQueue } from './serial-queue.js';
import { errorMessage } from '../error-message.js';

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

const PING_GAS = 100_000n;
const DEPLOY_GAS = 500_000n;
const PRIORITY_FEE = 1_000_000_000n;
/** Reserved accounts the devnet pings from, alternating. Account 0 also deploys the emitter. */
const PINGER_INDEXES = [0, 1] as const;

interface MineSpec {
  pings: number;
  deployEmitter?: boolean;
  /** Lowest timestamp allowed (a reorg's replacement block must differ from the orphan at its height). */
  minTimestamp?: number;
}

/**
 * N local anvil nodes that serve one identical chain.
 *
 * anvil has no consensus, so the devnet is the consensus: nodes never mine on their own
 * (`--no-mining`); the devnet mines each block on one in-sync node (the leader), records it as
 * ground truth (hash, timestamp, base fee, raw transactions, logs) and has every other in-sync node
 * mine the very same block (same raw transactions in the same order, same timestamp, same base fee),
 * checking that every hash matches. A node that missed blocks (paused, killed, frozen) catches up by
 * replaying the recorded blocks; a node left on an orphaned branch first rolls back to the common
 * ancestor.
 */
export class Devnet extends EventEmitter<DevnetEvents> {
  readonly chainId: number;
  /** The canonical chain as mined, with orphaned blocks and reorg records: the checkers' ground truth. */
  readonly canonical: ReadonlyGroundTruth;
  /** Contracts the devnet deployed (the emitter lives in block 1 and is never reorganised away). */
  readonly contracts: { emitter: Address };

  private readonly opts: Required<Omit<DevnetOptions, 'logger' | 'lagBlocks'>>;
  /** Lags from the options, applied once block 1 (the emitter) is on every node. */
  private readonly initialLags: ReadonlyMap<DevnetNode, number>;
  private readonly log: DevnetLogger;
  private readonly truth = new GroundTruth();
  private readonly nodeList: DevnetNode[];
  private readonly allAccounts: DevnetAccount[];
  private readonly pingers: PrivateKeyAccount[];
  private readonly queue = new SerialQueue();
  /** Signed transactions that reached a node outside the lockstep; the next block's leader gets them. */
  private carry: Hex[] = [];
  /** Hashes of transactions the devnet signed itself (not resubmitted after a reorg: it makes new ones). */
  private readonly ownTxHashes = new Set<string>();
  private readonly catchUps = new Map<DevnetNode, Promise<void>>();
  /** Bumped by each reorg so that replacement pings differ from the orphaned ones. */
  private reorgGeneration = 0;
  private miningToken: object | undefined;
  private miningTimer: NodeJS.Timeout | undefined;
  private miningInterval: number | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(options: DevnetOptions) {
    super();
    const nodes = options.nodes ?? DEVNET_DEFAULTS.nodes;
    if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${nodes}`);
    const txPerBlock = options.txPerBlock ?? DEVNET_DEFAULTS.txPerBlock;
    if (!Number.isInteger(txPerBlock) || txPerBlock < 0) throw new RangeError(`txPerBlock must be a non-negative integer, got ${txPerBlock}`);
    this.opts = {
      nodes,
      host: options.host ?? DEVNET_DEFAULTS.host,
      basePort: options.basePort ?? DEVNET_DEFAULTS.basePort,
      chainId: options.chainId ?? DEVNET_DEFAULTS.chainId,
      blockTimeMs: options.blockTimeMs ?? DEVNET_DEFAULTS.blockTimeMs,
      txPerBlock,
      genesisTimestamp: options.genesisTimestamp ?? Math.floor(Date.now() / 1000),
      baseFeePerGas: options.baseFeePerGas ?? DEVNET_DEFAULTS.baseFeePerGas,
      mnemonic: options.mnemonic ?? DEFAULT_MNEMONIC,
      startTimeoutMs: options.startTimeoutMs ?? DEVNET_DEFAULTS.startTimeoutMs,
    };
    this.log = options.logger ?? silentLogger;
    this.chainId = this.opts.chainId;
    this.canonical = this.truth;
    this.allAccounts = deriveAccounts(this.opts.mnemonic);
    this.pingers = PINGER_INDEXES.map((i) => privateKeyToAccount(this.account(i).privateKey));
    const deployer = this.account(PINGER_INDEXES[0]).address;
    // Block 1 holds the deployment, sent at genesis with nonce 0: the address is known up front.
    this.contracts = { emitter: getContractAddress({ from: deployer, nonce: 0n }) };
    this.nodeList = Array.from({ length: nodes }, (_, i) => {
      const port = this.opts.basePort === 0 ? 0 : this.opts.basePort + i;
      return new DevnetNode(`node-${i}`, this.opts.host, port);
    });
    this.initialLags = new Map(Object.entries(options.lagBlocks ?? {}).map(([id, blocks]) => [this.getNode(id), checkedLag(blocks)]));
  }

  /** Starts the nodes, checks they share one genesis, mines block 1 (the emitter) and optionally starts mining. */
  static async start(options: DevnetOptions = {}): Promise<Devnet> {
    const devnet = new Devnet(options);
    try {
      await devnet.boot();
    } catch (err) {
      await devnet.stop();
      throw err;
    }
    if (devnet.opts.blockTimeMs > 0) devnet.startMining(devnet.opts.blockTimeMs);
    return devnet;
  }

  /** The ten funded dev accounts. Those with `reserved: true` (0 and 1) are the devnet's own. */
  get accounts(): DevnetAccount[] {
    return this.allAccounts.map((a) => ({ ...a }));
  }

  /** Accounts tests may send from (2..9). */
  get freeAccounts(): DevnetAccount[] {
    return this.accounts.filter((a) => !a.reserved);
  }

  /** The i-th account tests may send from (`testAccount(0)` is account 2). */
  testAccount(i: number): DevnetAccount {
    const account = this.freeAccounts[i];
    if (!account) throw new RangeError(`no free test account ${i} (there are ${ACCOUNT_COUNT - RESERVED_ACCOUNT_INDEXES.length})`);
    return account;
  }

  /** `eth_call` parameters that revert deterministically with {@link REVERT_DATA} (an `Error(string)`). */
  revertCall(): { to: Address; data: Hex } {
    return { to: this.contracts.emitter, data: REVERT_SELECTOR };
  }

  /** Block time of interval mining, or undefined when it is off. */
  get miningIntervalMs(): number | undefined {
    return this.miningInterval;
  }

  nodes(): DevnetNodeInfo[] {
    return this.nodeList.map((n) => n.info());
  }

  node(id: string): DevnetNodeInfo {
    return this.getNode(id).info();
  }

  /** Mines the next block on every running, unpaused, in-sync node and checks their hashes agree. */
  mineBlock(options: MineOptions = {}): Promise<CanonicalBlock> {
    this.assertRunning('mineBlock');
    const pings = options.txs ?? this.opts.txPerBlock;
    return this.queue.run(() => this.mineLocked({ pings }));
  }

  /** Mines a block every `blockTimeMs` (measured start to start); a slow block delays the next, never overlaps it. */
  startMining(blockTimeMs: number): void {
    this.assertRunning('startMining');
    if (!(blockTimeMs > 0)) throw new RangeError(`blockTimeMs must be positive, got ${blockTimeMs}`);
    this.stopMining();
    const token = {};
    this.miningToken = token;
    this.miningInterval = blockTimeMs;
    const tick = async (): Promise<void> => {
      this.miningTimer = undefined;
      if (this.miningToken !== token) return;
      const startedAt = Date.now();
      try {
        await this.mineBlock();
      } catch (err) {
        this.reportMiningError(err);
      }
      if (this.miningToken !== token) return;
      this.miningTimer = setTimeout(() => void tick(), Math.max(0, startedAt + blockTimeMs - Date.now()));
      this.miningTimer.unref();
    };
    this.miningTimer = setTimeout(() => void tick(), blockTimeMs);
    this.miningTimer.unref();
  }

  /** Stops interval mining (a block being mined right now still completes). */
  stopMining(): void {
    this.miningToken = undefined;
    this.miningInterval = undefined;
    if (this.miningTimer) clearTimeout(this.miningTimer);
    this.miningTimer = undefined;
  }

  /** The node stops receiving blocks and falls behind (a lagging provider). It keeps serving what it has. */
  pauseMining(nodeId: string): void {
    this.assertRunning('pauseMining');
    const node = this.getNode(nodeId);
    if (node.paused) return;
    node.paused = true;
    node.inSync = false;
    this.emitNode(node);
  }

  /** Replays the blocks the node missed (rolling back first if it sits on an orphaned branch) and rejoins mining. */
  async resumeMining(nodeId: string): Promise<void> {
    this.assertRunning('resumeMining');
    const node = this.getNode(nodeId);
    node.paused = false;
    this.emitNode(node);
    if (node.running && !node.frozen) await this.catchUp(node);
  }

  /**
   * Makes the node receive the canonical blocks `blocks` late, as a provider that lags behind: it is
   * fed block k only when block k + `blocks` is mined, so it really has not imported the newer ones
   * (and follows a reorg once the lag brings it there). A node never steps back to start lagging: it
   * keeps its blocks until the chain is `blocks` ahead of it. 0 catches it up into lockstep again.
   * The ground truth stays the canonical chain.
   */
  async setLag(nodeId: string, blocks: number): Promise<void> {
    this.assertRunning('setLag');
    const node = this.getNode(nodeId);
    this.applyLag(node, checkedLag(blocks));
    if (node.running && !node.paused && !node.frozen) await this.catchUp(node);
  }

  /** Sends `signal` to the node's process and waits until it has exited (SIGKILL after 5 s). */
  async kill(nodeId: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.assertRunning('kill');
    if (signal === 'SIGSTOP' || signal === 'SIGTSTP' || signal === 'SIGCONT') {
      throw new DevnetError(`kill(${signal}) does not end a node: use freeze()/thaw()`);
    }
    const node = this.getNode(nodeId);
    const proc = node.proc;
    if (!proc || !node.running) return;
    node.inSync = false;
    this.log.info({ node: node.id, pid: proc.pid, signal }, 'devnet node kill');
    await proc.kill(signal);
  }

  /**
   * SIGSTOPs the node: its port still accepts connections but nothing answers (a hung provider).
   * Waits for any block in progress first, so lockstep mining never waits on a frozen node.
   */
  async freeze(nodeId: string): Promise<void> {
    this.assertRunning('freeze');
    const node = this.getNode(nodeId);
    await this.queue.run(async () => {
      if (!node.running) throw new NodeDownError(node.id, 'freeze');
      node.proc?.signal('SIGSTOP');
      node.frozen = true;
      node.inSync = false;
      this.emitNode(node);
    });
  }

  /** SIGCONTs a frozen node and catches it up (unless its mining is paused). */
  async thaw(nodeId: string): Promise<void> {
    this.assertRunning('thaw');
    const node = this.getNode(nodeId);
    if (!node.frozen) return;
    node.proc?.signal('SIGCONT');
    node.frozen = false;
    this.emitNode(node);
    if (node.running && !node.paused) await this.catchUp(node);
  }

  /**
   * Starts the node again on the same port (killing it first if it runs) and replays every recorded
   * block, so it is back on the canonical chain before this resolves. A paused node is caught up
   * too, then stays paused (it falls behind from there).
   */
  async restart(nodeId: string): Promise<void> {
    this.assertRunning('restart');
    const node = this.getNode(nodeId);
    if (node.running) await this.kill(nodeId);
    node.frozen = false;
    node.head = -1;
    await this.startProcess(node);
    await this.catchUp(node, true);
  }

  /**
   * Rolls every in-sync node back `depth` blocks (`anvil_rollback`) and mines a new branch with other
   * timestamps and transactions. The ground truth moves the old blocks to its orphan list and records
   * the reorg. Nodes that were paused, down or frozen stay on the old branch until they catch up.
   * Returns the new branch's blocks.
   */
  reorg(depth: number, options: ReorgOptions = {}): Promise<CanonicalBlock[]> {
    this.assertRunning('reorg');
    return this.queue.run(() => this.reorgLocked(depth, options));
  }

  /**
   * Broadcasts a signed transaction to every in-sync node (so they stay identical); it is included
   * in the next mined block. Rejects with the first node's error (e.g. nonce too low) as an AnvilRpcError.
   */
  async sendRawTransaction(raw: Hex): Promise<Hex> {
    this.assertRunning('sendRawTransaction');
    const [first, ...rest] = this.nodeList.filter((n) => n.mining);
    if (!first) throw new NoMiningNodeError('sendRawTransaction');
    const hash = await first.call<Hex>('eth_sendRawTransaction', [raw]);
    // The others are best effort: the next block's leader collects every pool anyway.
    await Promise.all(rest.map((n) => n.call('eth_sendRawTransaction', [raw]).catch(() => undefined)));
    return hash;
  }

  /** Kills every node process by PID (SIGKILL) and waits for all of them to exit. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopMining();
    this.stopping = (async () => {
      for (const node of this.nodeList) node.stopped = true;
      await Promise.all(
        this.nodeList.map(async (node) => {
          await node.proc?.kill('SIGKILL');
          await node.rpc?.close();
        }),
      );
      // Operations still queued fail fast now that the nodes are gone; let them settle.
      await this.queue.idle();
      await Promise.allSettled([...this.catchUps.values()]);
      this.log.info({ nodes: this.nodeList.length }, 'devnet stopped');
    })();
    return this.stopping;
  }

  // --- internals -------------------------------------------------------------------------------

  private async boot(): Promise<void> {
    await Promise.all(this.nodeList.map((node) => this.startProcess(node)));
    const genesis = await Promise.all(this.nodeList.map((n) => n.call<AnvilBlock>('eth_getBlockByNumber', ['0x0', false])));
    const first = genesis[0];
    if (!first) throw new DevnetError('no genesis block');
    genesis.forEach((g, i) => {
      if (g.hash !== first.hash) throw new DivergenceError(this.nodeList[i]?.id ?? '?', 0, first.hash, g.hash, 'genesis differs');
    });
    this.truth.append({
      number: 0,
      hash: first.hash,
      parentHash: first.parentHash,
      timestamp: Number(first.timestamp),
      baseFeePerGas: this.opts.baseFeePerGas,
      txHashes: [],
      rawTxs: [],
      logs: [],
      minedAtMs: Date.now(),
    });
    for (const node of this.nodeList) {
      node.head = 0;
      node.inSync = true;
      this.emitNode(node);
    }
    await this.queue.run(() => this.mineLocked({ pings: 0, deployEmitter: true }));
    const code = await this.anyMiner('boot').call<Hex>('eth_getCode', [this.contracts.emitter, 'latest']);
    if (code === '0x') throw new DevnetError(`emitter deployment failed: no code at ${this.contracts.emitter}`);
    for (const [node, lag] of this.initialLags) this.applyLag(node, lag);
    this.log.info({ chainId: this.chainId, nodes: this.nodeList.map((n) => ({ id: n.id, port: n.port, pid: n.proc?.pid })) }, 'devnet started');
  }

  private async startProcess(node: DevnetNode): Promise<void> {
    const proc = await AnvilProcess.spawn({
      id: node.id,
      host: this.opts.host,
      port: node.port,
      chainId: this.opts.chainId,
      genesisTimestamp: this.opts.genesisTimestamp,
      mnemonic: this.opts.mnemonic,
      baseFeePerGas: this.opts.baseFeePerGas,
      startTimeoutMs: this.opts.startTimeoutMs,
    });
    if (node.stopped) {
      // stop() ran while this process was starting: it must not outlive the devnet.
      await proc.kill('SIGKILL');
      throw new DevnetStoppedError('start node');
    }
    node.proc = proc;
    node.port = proc.port;
    node.rpc = new AnvilRpc(node.httpUrl);
    const rpc = node.rpc;
    void proc.exited.then((exit) => {
      void rpc.close();
      if (node.proc !== proc) return;
      node.inSync = false;
      node.frozen = false;
      if (!node.stopped) this.log.info({ node: node.id, pid: proc.pid, ...exit }, 'devnet node exited');
      this.emitNode(node);
    });
    this.emitNode(node);
  }

  /** Replays what the node lacks: in bulk while the cluster keeps mining, then the last blocks under the lock. */
  private catchUp(node: DevnetNode, evenIfPaused = false): Promise<void> {
    const running = this.catchUps.get(node);
    if (running) return running;
    const work = (async () => {
      node.catchingUp = true;
      node.inSync = false;
      this.emitNode(node);
      const startedAt = Date.now();
      const fromHead = node.head;
      try {
        await this.replay(node);
        await this.queue.run(async () => {
          if (node.paused && !evenIfPaused) return;
          await this.replay(node);
          node.inSync = !node.paused && !node.frozen && node.lag === 0;
          node.catchingUp = false; // before the next queued block starts, so that block includes the node
        });
        this.log.info({ node: node.id, from: fromHead, to: node.head, ms: Date.now() - startedAt }, 'devnet node caught up');
      } finally {
        node.catchingUp = false;
        this.catchUps.delete(node);
        this.emitNode(node);
      }
    })();
    this.catchUps.set(node, work);
    return work;
  }

  /**
   * Brings the node to the canonical head (minus its lag): back to the common ancestor, then the
   * recorded blocks. A node already past its lag target on the canonical chain keeps its blocks.
   */
  private async replay(node: DevnetNode): Promise<void> {
    for (let round = 0; round < 50; round++) {
      const { ancestor, nodeHead } = await findCommonAncestor(node, this.truth);
      if (nodeHead > ancestor) await node.call('anvil_rollback', [nodeHead - ancestor]);
      node.head = ancestor;
      let parentHash = this.truth.block(ancestor)?.hash;
      let reorged = false;
      const target = this.truth.head() - node.lag;
      for (let n = ancestor + 1; n <= target; n++) {
        if (this.stopping) throw new DevnetStoppedError('catch up');
        const block = this.truth.block(n);
        if (!block) break;
        if (block.parentHash !== parentHash) {
          reorged = true; // the chain was reorganised under the replay: find the ancestor again
          break;
        }
        await applyBlock(node, block, this.carryFn);
        parentHash = block.hash;
      }
      if (!reorged) return;
    }
    throw new DevnetError(`${node.id}: could not catch up, the chain kept reorganising`);
  }

  private readonly carryFn = (raws: Hex[]): void => {
    this.carry.push(...raws);
  };

  /** Tries to bring back nodes that failed a block (running, unpaused): done before each block. */
  private async repairOutOfSync(): Promise<void> {
    for (const node of this.nodeList) {
      if (!node.running || node.paused || node.frozen || node.inSync || node.catchingUp || node.stopped || node.lag > 0) continue;
      try {
        await this.replay(node);
        node.inSync = true;
        this.emitNode(node);
      } catch (err) {
        // A node killed meanwhile is not news; anything else is.
        if (node.running) this.log.warn({ node: node.id, err: errorMessage(err) }, 'devnet node repair failed');
      }
    }
  }

  /** A lagging node leaves lockstep mining; it is fed after each block instead (see feedLagging). */
  private applyLag(node: DevnetNode, lag: number): void {
    node.lag = lag;
    if (lag > 0) node.inSync = false;
    this.emitNode(node);
  }

  /** Feeds every lagging node the canonical chain up to its lag behind the head (done after each block). */
  private async feedLagging(): Promise<void> {
    for (const node of this.nodeList) {
      if (node.lag === 0 || !node.running || node.paused || node.frozen || node.catchingUp || node.stopped) continue;
      try {
        await this.replay(node);
        this.emitNode(node);
      } catch (err) {
        // The next block tries again; a node killed meanwhile is not news.
        if (node.running) this.log.warn({ node: node.id, err: errorMessage(err) }, 'devnet lagging node missed a block');
      }
    }
  }

  private async mineLocked(spec: MineSpec): Promise<CanonicalBlock> {
    if (this.stopping) throw new DevnetStoppedError('mineBlock');
    await this.repairOutOfSync();
    const parent = this.truth.headBlock();
    let lastError: unknown;
    for (;;) {
      const miners = this.nodeList.filter((n) => n.mining);
      const [leader, ...followers] = miners;
      if (!leader) {
        const err = new NoMiningNodeError('mineBlock');
        if (lastError) (err as Error & { cause?: unknown }).cause = lastError;
        throw err;
      }
      const carried = this.carry.splice(0);
      let block: CanonicalBlock;
      try {
        block = await this.buildOnLeader(leader, followers, parent, spec, carried);
      } catch (err) {
        // The leader died or misbehaved; it may hold a half-made block, so it must catch up later.
        this.carry.unshift(...carried);
        leader.inSync = false;
        this.emitNode(leader);
        lastError = err;
        if (this.stopping) throw err;
        this.log.warn({ node: leader.id, block: parent.number + 1, err: errorMessage(err) }, 'devnet leader failed; trying the next node');
        continue;
      }
      leader.head = block.number;
      const results = await Promise.allSettled(followers.map((f) => applyBlock(f, block, this.carryFn)));
      const divergences: DivergenceError[] = [];
      results.forEach((result, i) => {
        const follower = followers[i];
        if (result.status === 'fulfilled' || !follower) return;
        follower.inSync = false;
        this.emitNode(follower);
        if (result.reason instanceof DivergenceError) divergences.push(result.reason);
        else if (follower.running) this.log.warn({ node: follower.id, block: block.number, err: errorMessage(result.reason) }, 'devnet node missed a block');
      });
      block.minedAtMs = Date.now();
      this.truth.append(block);
      await this.feedLagging();
      this.emit('block', block);
      const divergence = divergences[0];
      if (divergence) throw divergence;
      return block;
    }
  }

  /** Mines the next block on the leader and reads back everything a replay and a checker need. */
  private async buildOnLeader(leader: DevnetNode, followers: DevnetNode[], parent: CanonicalBlock, spec: MineSpec, carried: Hex[]): Promise<CanonicalBlock> {
    const number = parent.number + 1;
    // Transactions that reached other nodes directly (e.g. via Lasso) belong in this block too.
    const strays = await Promise.all(followers.map((f) => readPool(f, false).catch(() => [])));
    const known = new Map<string, Hex>();
    const outside = [...carried, ...strays.flat().map((t) => t.raw)];
    for (const raw of outside) known.set(rawTxHash(raw).toLowerCase(), raw);
    // Order among them does not matter (each sender's nonces sort themselves out in the pool), and
    // errors are expected: already known, nonce too low (already mined).
    await leader.batch(outside.map((raw) => ({ method: 'eth_sendRawTransaction', params: [raw] })));

    for (const raw of await this.signOwnTransactions(leader, number, spec)) {
      const hash = rawTxHash(raw).toLowerCase();
      known.set(hash, raw);
      this.ownTxHashes.add(hash);
      await leader.call('eth_sendRawTransaction', [raw]);
    }

    const timestamp = Math.max(parent.timestamp + 1, Math.floor(Date.now() / 1000), spec.minTimestamp ?? 0);
    const mined = await mineOn(leader, this.opts.baseFeePerGas, timestamp);
    if (mined.parentHash !== parent.hash || Number(mined.number) !== number) {
      throw new DivergenceError(leader.id, number, `child of ${parent.hash}`, mined.hash, `leader built on ${mined.parentHash}`);
    }
    const txHashes = txHashesOf(mined);
    const unknown = txHashes.filter((h) => !known.has(h.toLowerCase()));
    const fetched = await rawTransactions(leader, unknown);
    unknown.forEach((h, i) => {
      const raw = fetched[i];
      if (raw) known.set(h.toLowerCase(), raw);
    });
    const rawTxs = txHashes.map((h) => {
      const raw = known.get(h.toLowerCase());
      if (!raw) throw new DevnetError(`${leader.id}: no raw transaction for ${h}`);
      return raw;
    });
    const logs = await leader.call<RpcLog[]>('eth_getLogs', [{ blockHash: mined.hash }]);
    return {
      number,
      hash: mined.hash,
      parentHash: mined.parentHash,
      timestamp,
      baseFeePerGas: this.opts.baseFeePerGas,
      txHashes,
      rawTxs,
      logs,
      minedAtMs: 0,
    };
  }

  /** The devnet's own transactions for one block: the emitter deployment (block 1) and pings. */
  private async signOwnTransactions(leader: DevnetNode, number: number, spec: MineSpec): Promise<Hex[]> {
    const signers = this.pingers.slice(0, Math.max(spec.deployEmitter ? 1 : 0, Math.min(spec.pings, this.pingers.length)));
    // The leader's pending count includes anything still queued from earlier, so nonces never collide.
    const nonces = await Promise.all(signers.map(async (s) => Number(await leader.call<Hex>('eth_getTransactionCount', [s.address, 'pending']))));
    const fees = { maxFeePerGas: this.opts.baseFeePerGas * 2n + PRIORITY_FEE, maxPriorityFeePerGas: PRIORITY_FEE };
    const raws: Hex[] = [];
    const nextNonce = (i: number): number => {
      const n = nonces[i] ?? 0;
      nonces[i] = n + 1;
      return n;
    };
    if (spec.deployEmitter && signers[0]) {
      raws.push(await signers[0].signTransaction({ type: 'eip1559', chainId: this.chainId, nonce: nextNonce(0), gas: DEPLOY_GAS, data: EMITTER_INIT, ...fees }));
    }
    for (let i = 0; i < spec.pings; i++) {
      const which = i % signers.length;
      const signer = signers[which];
      if (!signer) break;
      // Value = reorg generation | block number | index: pings on a reorg's new branch differ from the orphaned ones.
      const value = (BigInt(this.reorgGeneration) << 64n) | (BigInt(number) << 16n) | BigInt(i);
      raws.push(
        await signer.signTransaction({
          type: 'eip1559',
          chainId: this.chainId,
          nonce: nextNonce(which),
          to: this.contracts.emitter,
          data: encodePingCalldata(value),
          gas: PING_GAS,
          ...fees,
        }),
      );
    }
    return raws;
  }

  private async reorgLocked(depth: number, options: ReorgOptions): Promise<CanonicalBlock[]> {
    if (this.stopping) throw new DevnetStoppedError('reorg');
    const head = this.truth.headBlock();
    if (!Number.isInteger(depth) || depth < 1 || depth > head.number - 1) {
      throw new InvalidReorgError(`reorg depth must be 1..${head.number - 1} at head ${head.number} (block 1 holds the emitter), got ${depth}`);
    }
    const newBlocks = options.newBlocks ?? depth + 1;
    if (!Number.isInteger(newBlocks) || newBlocks < 1) throw new InvalidReorgError(`newBlocks must be a positive integer, got ${newBlocks}`);
    await this.repairOutOfSync();
    const miners = this.nodeList.filter((n) => n.mining);
    if (miners.length === 0) throw new NoMiningNodeError('reorg');
    const ancestor = this.truth.block(head.number - depth);
    if (!ancestor) throw new InvalidReorgError(`no block ${head.number - depth}`);

    const results = await Promise.allSettled(
      miners.map(async (node) => {
        await node.call('anvil_rollback', [depth]);
        const tip = await node.call<AnvilBlock>('eth_getBlockByNumber', ['latest', false]);
        if (tip.hash !== ancestor.hash) throw new DivergenceError(node.id, ancestor.number, ancestor.hash, tip.hash, 'after rollback');
        node.head = ancestor.number;
      }),
    );
    results.forEach((r, i) => {
      const node = miners[i];
      if (r.status === 'rejected' && node) {
        node.inSync = false;
        this.emitNode(node);
        this.log.warn({ node: node.id, err: errorMessage(r.reason) }, 'devnet node failed the rollback');
      }
    });
    if (results.every((r) => r.status === 'rejected')) {
      const first = results[0];
      throw first?.status === 'rejected' ? first.reason : new NoMiningNodeError('reorg');
    }

    const atMs = Date.now();
    const orphaned = this.truth.truncate(ancestor.number);
    this.reorgGeneration++;
    // A real chain puts orphaned transactions back into the mempool. The devnet's own pings are
    // re-created with new values instead; everything else goes into the new branch.
    for (const block of orphaned) {
      for (const raw of block.rawTxs) if (!this.ownTxHashes.has(rawTxHash(raw).toLowerCase())) this.carry.push(raw);
    }
    this.log.info({ depth, commonAncestor: ancestor.number, newBlocks }, 'devnet reorg');

    const replacement: CanonicalBlock[] = [];
    for (let i = 0; i < newBlocks; i++) {
      const orphan = orphaned[i];
      replacement.push(
        await this.mineLocked({ pings: options.txs ?? this.opts.txPerBlock, ...(orphan ? { minTimestamp: orphan.timestamp + 1 } : {}) }),
      );
    }
    const record: ReorgRecord = { atMs, finishedAtMs: Date.now(), depth, commonAncestor: ancestor.number, orphaned, replacement };
    this.truth.recordReorg(record);
    this.emit('reorg', record);
    return replacement;
  }

  private anyMiner(operation: string): DevnetNode {
    const node = this.nodeList.find((n) => n.mining);
    if (!node) throw new NoMiningNodeError(operation);
    return node;
  }

  private account(index: number): DevnetAccount {
    const account = this.allAccounts[index];
    if (!account) throw new RangeError(`no account ${index}`);
    return account;
  }

  private getNode(id: string): DevnetNode {
    const node = this.nodeList.find((n) => n.id === id);
    if (!node) throw new UnknownNodeError(id);
    return node;
  }

  private assertRunning(operation: string): void {
    if (this.stopping) throw new DevnetStoppedError(operation);
  }

  private emitNode(node: DevnetNode): void {
    this.emit('node', node.info());
  }

  private reportMiningError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (err instanceof DevnetStoppedError) return;
    // With every node down, each tick fails the same way: keep that quiet.
    if (err instanceof NoMiningNodeError) this.log.debug({ err: error.message }, 'devnet block skipped');
    else this.log.warn({ err: error.message }, 'devnet block failed');
    if (this.listenerCount('mining-error') > 0) this.emit('mining-error', error);
  }
}

function checkedLag(blocks: number): number {
  if (!Number.isInteger(blocks) || blocks < 0) throw new RangeError(`a lag must be a non-negative integer of blocks, got ${blocks}`);
  return blocks;
}

