import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pad, parseEther, toHex } from 'viem';
import type { Hex, RpcLog } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  COUNT_SELECTOR,
  Devnet,
  DevnetStoppedError,
  InvalidReorgError,
  PING_TOPIC,
  REVERT_DATA,
  REVERT_SELECTOR,
  decodePingValue,
  runDevnetCommand,
} from '../../src/devnet/index.js';
import type { CanonicalBlock } from '../../src/devnet/index.js';

/** Every devnet a test starts, so afterAll/afterEach can kill them even when a test fails. */
const started: Devnet[] = [];

async function startDevnet(opts: Parameters<typeof Devnet.start>[0] = {}): Promise<Devnet> {
  const devnet = await Devnet.start(opts);
  started.push(devnet);
  return devnet;
}

afterAll(async () => {
  await Promise.all(started.map((d) => d.stop()));
});

let rpcId = 0;
interface RpcAnswer<T> {
  result?: T;
  error?: { code: number; message: string; data?: unknown };
}
async function rpcRaw<T>(url: string, method: string, params: unknown[] = []): Promise<RpcAnswer<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
  });
  return (await res.json()) as RpcAnswer<T>;
}
async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const answer = await rpcRaw<T>(url, method, params);
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result as T;
}
async function blockHashAt(url: string, n: number | 'latest'): Promise<Hex | undefined> {
  const block = await rpc<{ hash: Hex } | null>(url, 'eth_getBlockByNumber', [typeof n === 'number' ? toHex(n) : n, false]);
  return block?.hash;
}
async function headNumber(url: string): Promise<number> {
  return Number(await rpc<Hex>(url, 'eth_blockNumber'));
}
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
/** Every node serves exactly the canonical hashes for blocks 0..head. */
async function expectAllOnCanonical(devnet: Devnet): Promise<void> {
  const head = devnet.canonical.headBlock();
  for (const node of devnet.nodes()) {
    expect(await headNumber(node.httpUrl), node.id).toBe(head.number);
    for (const block of devnet.canonical.blocks()) {
      expect(await blockHashAt(node.httpUrl, block.number), `${node.id} block ${block.number}`).toBe(block.hash);
    }
  }
}

describe('devnet lockstep (shared 3-node devnet)', () => {
  let devnet: Devnet;

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 3, txPerBlock: 2 });
  });

  it('starts 3 nodes on one chain with the emitter deployed in block 1', async () => {
    const nodes = devnet.nodes();
    expect(nodes.map((n) => n.id)).toEqual(['node-0', 'node-1', 'node-2']);
    expect(new Set(nodes.map((n) => n.port)).size).toBe(3);
    for (const n of nodes) {
      expect(n.status).toBe('in-sync');
      expect(n.pid && isAlive(n.pid)).toBe(true);
      expect(Number(await rpc<Hex>(n.httpUrl, 'eth_chainId'))).toBe(1337);
      expect(await rpc<Hex>(n.httpUrl, 'eth_getCode', [devnet.contracts.emitter, 'latest'])).not.toBe('0x');
    }
    expect(devnet.canonical.head()).toBe(1);
    expect(devnet.freeAccounts.map((a) => a.index)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('gives identical hashes on all nodes for 10 mined blocks', async () => {
    const before = devnet.canonical.head();
    const seen: CanonicalBlock[] = [];
    devnet.on('block', (b) => seen.push(b));
    for (let i = 0; i < 10; i++) await devnet.mineBlock();
    devnet.removeAllListeners('block');
    expect(seen.map((b) => b.number)).toEqual(Array.from({ length: 10 }, (_, i) => before + 1 + i));
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]?.parentHash).toBe(seen[i - 1]?.hash);
      expect(seen[i]!.timestamp).toBeGreaterThan(seen[i - 1]!.timestamp);
    }
    await expectAllOnCanonical(devnet);
  });

  it('records non-empty logs that every node returns identically', async () => {
    const block = await devnet.mineBlock({ txs: 3 });
    expect(block.txHashes).toHaveLength(3);
    expect(block.logs).toHaveLength(3);
    const pingers = devnet.accounts.filter((a) => a.reserved).map((a) => pad(a.address.toLowerCase() as Hex));
    for (const [i, log] of block.logs.entries()) {
      expect(log.address.toLowerCase()).toBe(devnet.contracts.emitter.toLowerCase());
      expect(log.topics[0]).toBe(PING_TOPIC);
      expect(pingers).toContain(log.topics[1]);
      expect(decodePingValue(log.data) & 0xffffn).toBe(BigInt(i));
      expect(log.blockHash).toBe(block.hash);
    }
    const empty = await devnet.mineBlock({ txs: 0 });
    expect(empty.logs).toEqual([]);
    for (const node of devnet.nodes()) {
      expect(await rpc<RpcLog[]>(node.httpUrl, 'eth_getLogs', [{ blockHash: block.hash }])).toEqual(block.logs);
      const range = await rpc<RpcLog[]>(node.httpUrl, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: toHex(empty.number), address: devnet.contracts.emitter }]);
      expect(range).toEqual(devnet.canonical.logs(0, empty.number));
    }
  });

  it('has a deterministic revert for eth_call and a readable counter', async () => {
    expect(devnet.revertCall()).toEqual({ to: devnet.contracts.emitter, data: REVERT_SELECTOR });
    for (const node of devnet.nodes()) {
      const answer = await rpcRaw(node.httpUrl, 'eth_call', [devnet.revertCall(), 'latest']);
      expect(answer.error?.code).toBe(3);
      expect(answer.error?.data).toBe(REVERT_DATA);
      const count = await rpc<Hex>(node.httpUrl, 'eth_call', [{ to: devnet.contracts.emitter, data: COUNT_SELECTOR }, 'latest']);
      expect(Number(count)).toBe(devnet.canonical.logs().length);
    }
  });

  it('includes a transaction broadcast by sendRawTransaction in the next block on every node', async () => {
    const [from, to] = devnet.freeAccounts;
    expect(devnet.testAccount(0)).toEqual(from);
    const signer = privateKeyToAccount(from!.privateKey);
    const nonce = Number(await rpc<Hex>(devnet.nodes()[0]!.httpUrl, 'eth_getTransactionCount', [from!.address, 'pending']));
    const raw = await signer.signTransaction({ chainId: devnet.chainId, type: 'eip1559', nonce, to: to!.address, value: parseEther('1'), gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n });
    const hash = await devnet.sendRawTransaction(raw);
    const block = await devnet.mineBlock();
    expect(block.txHashes).toContain(hash);
    expect(block.rawTxs).toContain(raw);
    for (const node of devnet.nodes()) {
      const receipt = await rpc<{ blockHash: Hex; status: Hex }>(node.httpUrl, 'eth_getTransactionReceipt', [hash]);
      expect(receipt).toMatchObject({ blockHash: block.hash, status: '0x1' });
    }
  });

  it('picks up a transaction sent straight to one follower node (as Lasso would)', async () => {
    const from = devnet.freeAccounts[1]!;
    const signer = privateKeyToAccount(from.privateKey);
    const target = devnet.nodes()[2]!;
    const nonce = Number(await rpc<Hex>(target.httpUrl, 'eth_getTransactionCount', [from.address, 'pending']));
    const raw = await signer.signTransaction({ chainId: devnet.chainId, type: 'eip1559', nonce, to: from.address, value: 1n, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n });
    const hash = await rpc<Hex>(target.httpUrl, 'eth_sendRawTransaction', [raw]);
    const block = await devnet.mineBlock();
    expect(block.txHashes).toContain(hash);
    await expectAllOnCanonical(devnet);
  });

  it('mines on the remaining nodes while one is down, and a restart replays it back onto the chain', async () => {
    const victim = devnet.node('node-1');
    await devnet.kill('node-1');
    expect(isAlive(victim.pid!)).toBe(false);
    expect(devnet.node('node-1')).toMatchObject({ running: false, status: 'down', pid: undefined });
    for (let i = 0; i < 5; i++) await devnet.mineBlock();
    await devnet.restart('node-1');
    const back = devnet.node('node-1');
    expect(back).toMatchObject({ running: true, status: 'in-sync', port: victim.port });
    expect(back.pid).not.toBe(victim.pid);
    expect(await blockHashAt(back.httpUrl, 'latest')).toBe(devnet.canonical.headBlock().hash);
    await devnet.mineBlock();
    await expectAllOnCanonical(devnet);
  });

  it('lets a paused node fall behind and catches it up on resume', async () => {
    devnet.pauseMining('node-2');
    const lagging = devnet.node('node-2');
    expect(lagging).toMatchObject({ miningPaused: true, status: 'paused', inSync: false });
    const pausedAt = await headNumber(lagging.httpUrl);
    for (let i = 0; i < 4; i++) await devnet.mineBlock();
    expect(await headNumber(lagging.httpUrl)).toBe(pausedAt);
    expect(devnet.canonical.head()).toBe(pausedAt + 4);
    await devnet.resumeMining('node-2');
    expect(devnet.node('node-2')).toMatchObject({ miningPaused: false, status: 'in-sync' });
    await expectAllOnCanonical(devnet);
  });

  it('reorgs depth 2: every node on the new branch, orphans recorded', async () => {
    const head = devnet.canonical.headBlock();
    const oldTip = devnet.canonical.blocks(head.number - 1, head.number);
    const reorgs: unknown[] = [];
    devnet.once('reorg', (r) => reorgs.push(r));
    const replacement = await devnet.reorg(2);
    expect(replacement.map((b) => b.number)).toEqual([head.number - 1, head.number, head.number + 1]);
    expect(replacement[0]?.parentHash).toBe(devnet.canonical.block(head.number - 2)?.hash);
    for (const [i, old] of oldTip.entries()) {
      expect(replacement[i]?.hash).not.toBe(old.hash);
      expect(devnet.canonical.isCanonical(old.hash)).toBe(false);
      expect(devnet.canonical.findByHash(old.hash)).toMatchObject({ canonical: false });
    }
    expect(devnet.canonical.orphaned().slice(-2)).toEqual(oldTip);
    expect(devnet.canonical.orphanedLogs().length).toBeGreaterThan(0);
    const orphanTxs = new Set(oldTip.flatMap((b) => b.txHashes));
    expect(replacement.flatMap((b) => b.txHashes).some((h) => orphanTxs.has(h))).toBe(false);
    const record = devnet.canonical.reorgs().at(-1);
    expect(record).toMatchObject({ depth: 2, commonAncestor: head.number - 2, orphaned: oldTip, replacement });
    expect(reorgs).toEqual([record]);
    await expectAllOnCanonical(devnet);
  });

  it('moves a node left paused on the orphaned branch onto the new one when it resumes', async () => {
    devnet.pauseMining('node-0');
    await devnet.mineBlock();
    const stale = await blockHashAt(devnet.node('node-0').httpUrl, 'latest');
    await devnet.reorg(2, { newBlocks: 2 });
    expect(devnet.canonical.isCanonical(stale!)).toBe(false);
    expect(await blockHashAt(devnet.node('node-0').httpUrl, 'latest')).toBe(stale);
    await devnet.resumeMining('node-0');
    await expectAllOnCanonical(devnet);
  });

  it('freezes a node (SIGSTOP: connections accepted, no answers) and thaws it back into sync', async () => {
    const url = devnet.node('node-1').httpUrl;
    await devnet.freeze('node-1');
    expect(devnet.node('node-1')).toMatchObject({ status: 'frozen', running: true, inSync: false });
    await devnet.mineBlock();
    await devnet.mineBlock();
    const hung = await Promise.race([
      rpc(url, 'eth_blockNumber').then(() => 'answered'),
      new Promise((resolve) => setTimeout(resolve, 200, 'hung')),
    ]);
    expect(hung).toBe('hung');
    await devnet.thaw('node-1');
    expect(devnet.node('node-1').status).toBe('in-sync');
    await expectAllOnCanonical(devnet);
  });

  it('kill with SIGTERM waits for a graceful exit; restart brings the node back', async () => {
    const pid = devnet.node('node-2').pid!;
    await devnet.kill('node-2', 'SIGTERM');
    expect(isAlive(pid)).toBe(false);
    await devnet.mineBlock();
    await devnet.restart('node-2');
    await expectAllOnCanonical(devnet);
  });

  it('rejects a reorg that would orphan the emitter block', async () => {
    await expect(devnet.reorg(devnet.canonical.head())).rejects.toBeInstanceOf(InvalidReorgError);
  });

  it('interval mining makes blocks on its own and stops cleanly', async () => {
    const from = devnet.canonical.head();
    const got: number[] = [];
    const fiveBlocks = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no 5 blocks within 5 s')), 5_000);
      const onBlock = (b: CanonicalBlock): void => {
        got.push(b.number);
        if (got.length === 5) {
          clearTimeout(timer);
          devnet.off('block', onBlock);
          resolve();
        }
      };
      devnet.on('block', onBlock);
    });
    devnet.startMining(30);
    await fiveBlocks;
    devnet.stopMining();
    expect(got).toEqual([from + 1, from + 2, from + 3, from + 4, from + 5]);
    // a block in flight when stopMining() ran still lands; mineBlock() queues behind it
    await devnet.mineBlock();
    await expectAllOnCanonical(devnet);
  });
});

describe('devnet lag mode (a node fed the canonical blocks N late)', () => {
  let devnet: Devnet;

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 3, txPerBlock: 1, lagBlocks: { 'node-2': 2 } });
  });

  /** The node serves exactly the canonical blocks 0..head - lag and nothing above. */
  async function expectLagging(nodeId: string, lag: number): Promise<void> {
    const url = devnet.node(nodeId).httpUrl;
    const expected = devnet.canonical.head() - lag;
    expect(await headNumber(url), nodeId).toBe(expected);
    for (const block of devnet.canonical.blocks(0, expected)) expect(await blockHashAt(url, block.number), `${nodeId} block ${block.number}`).toBe(block.hash);
    expect(devnet.node(nodeId)).toMatchObject({ status: 'lagging', lagBlocks: lag, inSync: false, head: expected });
  }

  it('serves head - N on the lagging node while the others are at the head', async () => {
    for (let i = 0; i < 4; i++) await devnet.mineBlock();
    const head = devnet.canonical.head();
    expect(await headNumber(devnet.node('node-0').httpUrl)).toBe(head);
    expect(await headNumber(devnet.node('node-1').httpUrl)).toBe(head);
    await expectLagging('node-2', 2);
  });

  it('changes a lag at runtime: a new lag stalls the node until the chain is that far ahead', async () => {
    const head = devnet.canonical.head();
    await devnet.setLag('node-1', 1);
    expect(await headNumber(devnet.node('node-1').httpUrl)).toBe(head);
    await devnet.mineBlock();
    await devnet.mineBlock();
    await expectLagging('node-1', 1);
    await devnet.setLag('node-2', 1);
    await expectLagging('node-2', 1);
    await devnet.setLag('node-2', 2);
    await devnet.setLag('node-1', 0);
    expect(devnet.node('node-1')).toMatchObject({ status: 'in-sync', lagBlocks: 0 });
    await devnet.mineBlock();
    await devnet.mineBlock();
    await expectLagging('node-2', 2);
  });

  it('puts a transaction sent straight to the lagging node into the canonical chain', async () => {
    const from = devnet.testAccount(0);
    const signer = privateKeyToAccount(from.privateKey);
    const nonce = Number(await rpc<Hex>(devnet.node('node-0').httpUrl, 'eth_getTransactionCount', [from.address, 'latest']));
    const raw = await signer.signTransaction({ chainId: devnet.chainId, type: 'eip1559', nonce, to: from.address, value: 1n, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n });
    const hash = await rpc<Hex>(devnet.node('node-2').httpUrl, 'eth_sendRawTransaction', [raw]);
    const mined: CanonicalBlock[] = [];
    for (let i = 0; i < 4; i++) mined.push(await devnet.mineBlock());
    expect(mined.some((b) => b.txHashes.includes(hash))).toBe(true);
    await expectLagging('node-2', 2);
  });

  it('follows a reorg deeper than its lag once the lag brings it there', async () => {
    const head = devnet.canonical.head();
    const orphanedOnLagging = await blockHashAt(devnet.node('node-2').httpUrl, head - 2);
    await devnet.reorg(3);
    expect(devnet.canonical.isCanonical(orphanedOnLagging!)).toBe(false);
    await expectLagging('node-2', 2);
    await devnet.setLag('node-2', 0);
    await devnet.mineBlock();
    await expectAllOnCanonical(devnet);
  });

  it('rejects a negative lag and an unknown node', async () => {
    await expect(devnet.setLag('node-0', -1)).rejects.toBeInstanceOf(RangeError);
    await expect(Devnet.start({ lagBlocks: { 'node-9': 1 } })).rejects.toThrow(/node-9/);
  });
});

describe('devnet lifecycle', () => {
  const local: Devnet[] = [];
  afterEach(async () => {
    await Promise.all(local.splice(0).map((d) => d.stop()));
  });

  it('stop() kills every node process and later calls fail with DevnetStoppedError', async () => {
    const devnet = await startDevnet({ nodes: 2 });
    local.push(devnet);
    const pids = devnet.nodes().map((n) => n.pid!);
    expect(pids.every(isAlive)).toBe(true);
    devnet.startMining(20);
    await devnet.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(devnet.nodes().every((n) => n.status === 'stopped' && !n.running)).toBe(true);
    expect(() => devnet.mineBlock()).toThrow(DevnetStoppedError);
    await devnet.stop(); // idempotent
  });

  it('mines while a node is killed mid-run by interval mining, and keeps the chain identical', async () => {
    const devnet = await startDevnet({ nodes: 3, blockTimeMs: 20, logger: pino({ level: 'silent' }) });
    local.push(devnet);
    const errors: Error[] = [];
    devnet.on('mining-error', (e) => errors.push(e));
    const waitBlocks = (n: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const target = devnet.canonical.head() + n;
        const timer = setTimeout(() => reject(new Error(`head did not reach ${target}`)), 5_000);
        const onBlock = (b: CanonicalBlock): void => {
          if (b.number < target) return;
          clearTimeout(timer);
          devnet.off('block', onBlock);
          resolve();
        };
        devnet.on('block', onBlock);
      });
    await waitBlocks(3);
    await devnet.kill('node-0'); // the usual leader
    await waitBlocks(3);
    await devnet.restart('node-0');
    await waitBlocks(2);
    devnet.stopMining();
    await devnet.mineBlock();
    expect(errors).toEqual([]);
    await expectAllOnCanonical(devnet);
  });

  it('runDevnetCommand prints one JSON line with every node', async () => {
    const lines: string[] = [];
    const devnet = await runDevnetCommand({ nodes: 2, host: '127.0.0.1', port: 0, blockTimeMs: 50, json: true }, { stdout: (l) => lines.push(l) });
    local.push(devnet);
    started.push(devnet);
    expect(lines).toHaveLength(1);
    const printed = JSON.parse(lines[0]!) as { chainId: number; nodes: Array<{ id: string; pid: number; httpUrl: string; wsUrl: string }> };
    expect(printed.chainId).toBe(1337);
    expect(printed.nodes).toEqual(devnet.nodes().map((n) => ({ id: n.id, pid: n.pid, httpUrl: n.httpUrl, wsUrl: n.wsUrl })));
    expect(devnet.miningIntervalMs).toBe(50);
  });

  it('runDevnetCommand prints a human table without --json', async () => {
    const lines: string[] = [];
    const devnet = await runDevnetCommand({ nodes: 1, host: '127.0.0.1', port: 0, blockTimeMs: 0, json: false }, { stdout: (l) => lines.push(l) });
    local.push(devnet);
    started.push(devnet);
    const node = devnet.nodes()[0]!;
    expect(lines[0]).toContain('chain id 1337');
    expect(lines.some((l) => l.includes(node.httpUrl) && l.includes(String(node.pid)))).toBe(true);
    expect(devnet.miningIntervalMs).toBeUndefined();
  });
});
