import type { Hex, RpcLog } from 'viem';
import { applyBlock, findCommonAncestor, mineOn, rawTransactions, rawTxHash, readPool, txHashesOf } from './block-sync.js';
import type { AnvilBlock } from './block-sync.js';
import { DevnetError, DevnetStoppedError, DivergenceError, InvalidReorgError, NoMiningNodeError } from './errors.js';
import type { CanonicalBlock, GroundTruth, ReorgRecord } from './ground-truth.js';
import type { DevnetNode } from './node.js';
import type { DevnetLogger } from './options.js';
import { SerialQueue } from './serial-queue.js';
import type { OwnBlockSpec, OwnTransactions } from './own-transactions.js';
import { errorMessage } from '../error-message.js';

/** What the lockstep works on and whom it tells; the devnet owns all of it. */
export interface LockstepContext {
  readonly nodes: readonly DevnetNode[];
  readonly truth: GroundTruth;
  readonly transactions: OwnTransactions;
  readonly baseFeePerGas: bigint;
  readonly log: DevnetLogger;
  isStopping(): boolean;
  nodeChanged(node: DevnetNode): void;
  blockMined(block: CanonicalBlock): void;
  reorged(record: ReorgRecord): void;
}

interface MineSpec extends OwnBlockSpec {
  /** Lowest timestamp allowed (a reorg's replacement block must differ from the orphan at its height). */
  minTimestamp?: number;
}

export interface LockstepReorgOptions {
  /** Length of the new branch. @default depth + 1 */
  newBlocks?: number;
  /** Ping transactions per new block. */
  pings: number;
}

/**
 * Lockstep mining: each block is mined on one in-sync node (the leader), recorded as ground truth
 * and mined again, identically, on every other in-sync node, with the hashes checked. Nodes that
 * missed blocks catch up by replaying the recorded ones; lagging nodes are fed after each block.
 * Mining, reorgs and the last step of a catch-up run one at a time.
 */
export class Lockstep {
  private readonly queue = new SerialQueue();
  /** Signed transactions that reached a node outside the lockstep; the next block's leader gets them. */
  private carry: Hex[] = [];
  private readonly catchUps = new Map<DevnetNode, Promise<void>>();

  constructor(private readonly ctx: LockstepContext) {}

  /** Mines the next block on every in-sync node, after the blocks and reorgs queued before it. */
  mine(spec: MineSpec): Promise<CanonicalBlock> {
    return this.queue.run(() => this.mineLocked(spec));
  }

  /** Rolls the in-sync nodes back `depth` blocks and mines a new branch; returns its blocks. */
  reorg(depth: number, options: LockstepReorgOptions): Promise<CanonicalBlock[]> {
    return this.queue.run(() => this.reorgLocked(depth, options));
  }

  /** Runs `op` while no block is being mined. */
  betweenBlocks<T>(op: () => Promise<T>): Promise<T> {
    return this.queue.run(op);
  }

  /** Resolves once every queued operation and every catch-up has settled. */
  async settle(): Promise<void> {
    await this.queue.idle();
    await Promise.allSettled([...this.catchUps.values()]);
  }

  private async mineLocked(spec: MineSpec): Promise<CanonicalBlock> {
    if (this.ctx.isStopping()) throw new DevnetStoppedError('mineBlock');
    await this.repairOutOfSync();
    const parent = this.ctx.truth.headBlock();
    let lastError: unknown;
    for (;;) {
      const miners = this.ctx.nodes.filter((n) => n.mining);
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
        this.ctx.nodeChanged(leader);
        lastError = err;
        if (this.ctx.isStopping()) throw err;
        this.ctx.log.warn({ node: leader.id, block: parent.number + 1, err: errorMessage(err) }, 'devnet leader failed; trying the next node');
        continue;
      }
      leader.head = block.number;
      const results = await Promise.allSettled(followers.map((f) => applyBlock(f, block, this.carryFn)));
      const divergences: DivergenceError[] = [];
      results.forEach((result, i) => {
        const follower = followers[i];
        if (result.status === 'fulfilled' || !follower) return;
        follower.inSync = false;
        this.ctx.nodeChanged(follower);
        if (result.reason instanceof DivergenceError) divergences.push(result.reason);
        else if (follower.running) this.ctx.log.warn({ node: follower.id, block: block.number, err: errorMessage(result.reason) }, 'devnet node missed a block');
      });
      block.minedAtMs = Date.now();
      this.ctx.truth.append(block);
      await this.feedLagging();
      this.ctx.blockMined(block);
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

    for (const raw of await this.ctx.transactions.sign(leader, number, spec)) {
      known.set(rawTxHash(raw).toLowerCase(), raw);
      await leader.call('eth_sendRawTransaction', [raw]);
    }

    const timestamp = Math.max(parent.timestamp + 1, Math.floor(Date.now() / 1000), spec.minTimestamp ?? 0);
    const mined = await mineOn(leader, this.ctx.baseFeePerGas, timestamp);
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
      baseFeePerGas: this.ctx.baseFeePerGas,
      txHashes,
      rawTxs,
      logs,
      minedAtMs: 0,
    };
  }

  private async reorgLocked(depth: number, options: LockstepReorgOptions): Promise<CanonicalBlock[]> {
    if (this.ctx.isStopping()) throw new DevnetStoppedError('reorg');
    const head = this.ctx.truth.headBlock();
    if (!Number.isInteger(depth) || depth < 1 || depth > head.number - 1) {
      throw new InvalidReorgError(`reorg depth must be 1..${head.number - 1} at head ${head.number} (block 1 holds the emitter), got ${depth}`);
    }
    const newBlocks = options.newBlocks ?? depth + 1;
    if (!Number.isInteger(newBlocks) || newBlocks < 1) throw new InvalidReorgError(`newBlocks must be a positive integer, got ${newBlocks}`);
    await this.repairOutOfSync();
    const miners = this.ctx.nodes.filter((n) => n.mining);
    if (miners.length === 0) throw new NoMiningNodeError('reorg');
    const ancestor = this.ctx.truth.block(head.number - depth);
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
        this.ctx.nodeChanged(node);
        this.ctx.log.warn({ node: node.id, err: errorMessage(r.reason) }, 'devnet node failed the rollback');
      }
    });
    if (results.every((r) => r.status === 'rejected')) {
      const first = results[0];
      throw first?.status === 'rejected' ? first.reason : new NoMiningNodeError('reorg');
    }

    const atMs = Date.now();
    const orphaned = this.ctx.truth.truncate(ancestor.number);
    this.ctx.transactions.newGeneration();
    // A real chain puts orphaned transactions back into the mempool. The devnet's own pings are
    // re-created with new values instead; everything else goes into the new branch.
    for (const block of orphaned) {
      for (const raw of block.rawTxs) if (!this.ctx.transactions.isOwn(raw)) this.carry.push(raw);
    }
    this.ctx.log.info({ depth, commonAncestor: ancestor.number, newBlocks }, 'devnet reorg');

    const replacement: CanonicalBlock[] = [];
    for (let i = 0; i < newBlocks; i++) {
      const orphan = orphaned[i];
      replacement.push(
        await this.mineLocked({ pings: options.pings, ...(orphan ? { minTimestamp: orphan.timestamp + 1 } : {}) }),
      );
    }
    const record: ReorgRecord = { atMs, finishedAtMs: Date.now(), depth, commonAncestor: ancestor.number, orphaned, replacement };
    this.ctx.truth.recordReorg(record);
    this.ctx.reorged(record);
    return replacement;
  }

  /** Replays what the node lacks: in bulk while the cluster keeps mining, then the last blocks under the lock. */
  catchUp(node: DevnetNode, evenIfPaused = false): Promise<void> {
    const running = this.catchUps.get(node);
    if (running) return running;
    const work = (async () => {
      node.catchingUp = true;
      node.inSync = false;
      this.ctx.nodeChanged(node);
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
        this.ctx.log.info({ node: node.id, from: fromHead, to: node.head, ms: Date.now() - startedAt }, 'devnet node caught up');
      } finally {
        node.catchingUp = false;
        this.catchUps.delete(node);
        this.ctx.nodeChanged(node);
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
      const { ancestor, nodeHead } = await findCommonAncestor(node, this.ctx.truth);
      if (nodeHead > ancestor) await node.call('anvil_rollback', [nodeHead - ancestor]);
      node.head = ancestor;
      let parentHash = this.ctx.truth.block(ancestor)?.hash;
      let reorged = false;
      const target = this.ctx.truth.head() - node.lag;
      for (let n = ancestor + 1; n <= target; n++) {
        if (this.ctx.isStopping()) throw new DevnetStoppedError('catch up');
        const block = this.ctx.truth.block(n);
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
    for (const node of this.ctx.nodes) {
      if (!node.running || node.paused || node.frozen || node.inSync || node.catchingUp || node.stopped || node.lag > 0) continue;
      try {
        await this.replay(node);
        node.inSync = true;
        this.ctx.nodeChanged(node);
      } catch (err) {
        // A node killed meanwhile is not news; anything else is.
        if (node.running) this.ctx.log.warn({ node: node.id, err: errorMessage(err) }, 'devnet node repair failed');
      }
    }
  }

  /** A lagging node leaves lockstep mining; it is fed after each block instead (see feedLagging). */
  applyLag(node: DevnetNode, lag: number): void {
    node.lag = lag;
    if (lag > 0) node.inSync = false;
    this.ctx.nodeChanged(node);
  }

  /** Feeds every lagging node the canonical chain up to its lag behind the head (done after each block). */
  private async feedLagging(): Promise<void> {
    for (const node of this.ctx.nodes) {
      if (node.lag === 0 || !node.running || node.paused || node.frozen || node.catchingUp || node.stopped) continue;
      try {
        await this.replay(node);
        this.ctx.nodeChanged(node);
      } catch (err) {
        // The next block tries again; a node killed meanwhile is not news.
        if (node.running) this.ctx.log.warn({ node: node.id, err: errorMessage(err) }, 'devnet lagging node missed a block');
      }
    }
  }
}
