import { Devnet } from './devnet.js';
import type { DevnetLogger } from './devnet.js';

export interface DevnetCommandArgs {
  /** Number of anvil nodes. */
  nodes: number;
  /** Address the nodes listen on. */
  host: string;
  /** 0: ephemeral ports. Otherwise node i listens on `port + i`. */
  port: number;
  /** Interval mining block time; 0 = no interval mining. */
  blockTimeMs: number;
  /** Print one JSON line instead of a table. */
  json: boolean;
}

export interface DevnetCommandIo {
  stdout: (line: string) => void;
  logger?: DevnetLogger;
}

/**
 * `lasso devnet`: starts the devnet, starts mining and prints where the nodes are. The caller owns
 * the returned devnet (and calls `stop()` on SIGINT).
 */
export async function runDevnetCommand(args: DevnetCommandArgs, io: DevnetCommandIo): Promise<Devnet> {
  const devnet = await Devnet.start({
    nodes: args.nodes,
    host: args.host,
    basePort: args.port,
    ...(io.logger ? { logger: io.logger } : {}),
  });
  if (args.blockTimeMs > 0) devnet.startMining(args.blockTimeMs);
  const nodes = devnet.nodes();
  if (args.json) {
    io.stdout(JSON.stringify({ chainId: devnet.chainId, nodes: nodes.map((n) => ({ id: n.id, pid: n.pid, httpUrl: n.httpUrl, wsUrl: n.wsUrl })) }));
    return devnet;
  }
  const mining = args.blockTimeMs > 0 ? `a block every ${args.blockTimeMs} ms` : 'manual mining';
  io.stdout(`devnet: chain id ${devnet.chainId}, ${nodes.length} anvil node(s), ${mining}`);
  const idWidth = Math.max(...nodes.map((n) => n.id.length));
  const httpWidth = Math.max(...nodes.map((n) => n.httpUrl.length));
  for (const n of nodes) {
    io.stdout(`  ${n.id.padEnd(idWidth)}  pid ${String(n.pid ?? '-').padEnd(7)}  ${n.httpUrl.padEnd(httpWidth)}  ${n.wsUrl}`);
  }
  const free = devnet.freeAccounts;
  const first = free[0];
  if (first) io.stdout(`  emitter ${devnet.contracts.emitter}; free test accounts ${free.map((a) => a.index).join(',')} (anvil test mnemonic), e.g. ${first.address}`);
  return devnet;
}
