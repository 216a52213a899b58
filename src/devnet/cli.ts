import { Devnet } from './devnet.js';
import { DEVNET_DEFAULTS } from './options.js';
import type { DevnetLogger } from './options.js';

export const DEVNET_USAGE = `Usage: lasso devnet [options]

Runs N local anvil nodes that serve one identical chain (chainId ${DEVNET_DEFAULTS.chainId}, blocks mined in lockstep),
and prints where they listen. Stop with Ctrl-C.

Options:
  --nodes N          number of anvil nodes, 1 to 16 (default: 3)
  --host HOST        address the nodes listen on (default: 127.0.0.1)
  --port PORT        node i listens on PORT + i; 0 picks free ports (default: 0)
  --block-time D     interval between mined blocks, e.g. 500ms, 2s; 0 mines only on request
                     (default: 1000ms)
  --json             print one JSON line (chainId, nodes with pid and URLs) instead of a table
  -h, --help         show this text
`;

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
