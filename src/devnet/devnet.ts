import { EventEmitter } from 'node:events';
import type { Address, Hex } from 'viem';
import { ACCOUNT_COUNT, DEFAULT_MNEMONIC, RESERVED_ACCOUNT_INDEXES, deriveAccounts } from './accounts.js';
import type { DevnetAccount } from './accounts.js';
import { silentLogger } from '../observability/component-logger.js';
import { AnvilProcess } from './anvil-process.js';
import type { AnvilBlock } from './block-sync.js';
import { REVERT_SELECTOR } from './emitter-contract.js';
import { DevnetError, DevnetStoppedError, DivergenceError, NoMiningNodeError, NodeDownError, UnknownNodeError } from './errors.js';
import { GroundTruth } from './ground-truth.js';
import type { CanonicalBlock, ReadonlyGroundTruth } from './ground-truth.js';
import { IntervalMining } from './interval-mining.js';
import { Lockstep } from './lockstep.js';
import { DevnetNode } from './node.js';
import type { DevnetNodeInfo } from './node.js';
import { DEVNET_DEFAULTS } from './options.js';
import type { DevnetEvents, DevnetLogger, DevnetOptions, MineOptions, ReorgOptions } from './options.js';
import { OwnTransactions } from './own-transactions.js';
import { AnvilRpc } from './rpc.js';

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
  private readonly lockstep: Lockstep;
  private readonly mining = new IntervalMining(
    () => this.mineBlock(),
    (err) => this.reportMiningError(err),
  );
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
    const transactions = new OwnTransactions(this.allAccounts, this.chainId, this.opts.baseFeePerGas);
    this.contracts = { emitter: transactions.emitter };
    this.nodeList = Array.from({ length: nodes }, (_, i) => {
      const port = this.opts.basePort === 0 ? 0 : this.opts.basePort + i;
      return new DevnetNode(`node-${i}`, this.opts.host, port);
    });
    this.lockstep = new Lockstep({
      nodes: this.nodeList,
      truth: this.truth,
      transactions,
      baseFeePerGas: this.opts.baseFeePerGas,
      log: this.log,
      isStopping: () => this.stopping !== undefined,
      nodeChanged: (node) => this.emitNode(node),
      blockMined: (block) => this.emit('block', block),
      reorged: (record) => this.emit('reorg', record),
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
    return this.mining.intervalMs;
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
    return this.lockstep.mine({ pings });
  }

  /** Mines a block every `blockTimeMs` (measured start to start); a slow block delays the next, never overlaps it. */
  startMining(blockTimeMs: number): void {
    this.assertRunning('startMining');
    this.mining.start(blockTimeMs);
  }

  /** Stops interval mining (a block being mined right now still completes). */
  stopMining(): void {
    this.mining.stop();
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
    if (node.running && !node.frozen) await this.lockstep.catchUp(node);
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
    this.lockstep.applyLag(node, checkedLag(blocks));
    if (node.running && !node.paused && !node.frozen) await this.lockstep.catchUp(node);
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
    await this.lockstep.betweenBlocks(async () => {
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
    if (node.running && !node.paused) await this.lockstep.catchUp(node);
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
    await this.lockstep.catchUp(node, true);
  }

  /**
   * Rolls every in-sync node back `depth` blocks (`anvil_rollback`) and mines a new branch with other
   * timestamps and transactions. The ground truth moves the old blocks to its orphan list and records
   * the reorg. Nodes that were paused, down or frozen stay on the old branch until they catch up.
   * Returns the new branch's blocks.
   */
  reorg(depth: number, options: ReorgOptions = {}): Promise<CanonicalBlock[]> {
    this.assertRunning('reorg');
    return this.lockstep.reorg(depth, { ...(options.newBlocks !== undefined && { newBlocks: options.newBlocks }), pings: options.txs ?? this.opts.txPerBlock });
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
      await this.lockstep.settle();
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
    await this.lockstep.mine({ pings: 0, deployEmitter: true });
    const code = await this.anyMiner('boot').call<Hex>('eth_getCode', [this.contracts.emitter, 'latest']);
    if (code === '0x') throw new DevnetError(`emitter deployment failed: no code at ${this.contracts.emitter}`);
    for (const [node, lag] of this.initialLags) this.lockstep.applyLag(node, lag);
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

  private anyMiner(operation: string): DevnetNode {
    const node = this.nodeList.find((n) => n.mining);
    if (!node) throw new NoMiningNodeError(operation);
    return node;
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

