import { parseArgs } from 'node:util';
import { startLasso } from './app.js';
import type { LassoInstance } from './app.js';
import { ConfigError, findDefaultConfigPath, loadConfigFile, summarizeConfig } from './config/index.js';
import type { LassoConfig } from './config/index.js';
import { runDevnetCommand } from './devnet/index.js';
import type { Devnet } from './devnet/index.js';
import { embeddedDevnetConfig } from './embedded-devnet.js';
import { createLogger } from './observability/logger.js';

const USAGE = `Usage: lasso <command> [options]

Commands:
  start [--config FILE] [--host HOST] [--port PORT]
        Serve JSON-RPC. Without a config file (and no ./lasso.yaml) runs an embedded
        3-node anvil devnet and serves it as chain "devnet".
  devnet [--nodes 3] [--host 127.0.0.1] [--port 0] [--block-time 1000ms] [--json]
        Run a lockstep anvil devnet (N nodes serving one identical chain).
  check-config FILE
        Validate a config file and print a summary (URLs redacted).
  battle [--scenario NAME | --file FILE] [--duration 30m] [--rate 50/s] [--seed N] [--out DIR]
         [--baseline FILE] [--compare]
        Chaos battle test with SLO verdicts and JSON/Markdown/HTML reports (lasso battle --help).
  help  Show this text.
`;

/** Exit codes: 0 ok, 1 check failed (e.g. invalid config), 2 usage or setup error. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return startCommand(rest);
    case 'devnet':
      return devnetCommand(rest);
    case 'check-config':
      return checkConfigCommand(rest);
    case 'battle':
      return (await import('./battle/cli.js')).battleMain(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

async function startCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, host: { type: 'string' }, port: { type: 'string' }, 'log-level': { type: 'string' } },
    strict: true,
  });
  const configPath = values.config ?? findDefaultConfigPath(process.cwd());
  let devnet: Devnet | undefined;
  let config: LassoConfig;
  if (configPath) {
    config = await loadConfigOrExit(configPath);
  } else {
    const started = await runDevnetCommand({ nodes: 3, host: '127.0.0.1', port: 0, blockTimeMs: 1000, json: false }, { stdout: (line) => process.stderr.write(`${line}\n`) });
    devnet = started;
    config = embeddedDevnetConfig(started);
  }
  if (values.host) config.server.host = values.host;
  if (values.port) config.server.port = parsePort(values.port);
  if (values['log-level']) config.logging.level = values['log-level'] as LassoConfig['logging']['level'];
  const logger = createLogger(config.logging.level);
  let lasso: LassoInstance;
  try {
    lasso = await startLasso({ config, logger, ...(configPath && { loadConfig: () => loadConfigFile(configPath) }) });
  } catch (err) {
    await devnet?.stop();
    throw err;
  }
  const chainNames = lasso.chains.all().map((c) => c.name);
  process.stderr.write(`lasso listening on ${lasso.url}  (try: curl -s ${lasso.url}/rpc/${chainNames[0] ?? 'CHAIN'} -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}')\n`);
  if (configPath) {
    // SIGHUP re-reads the file; an invalid one is logged with every problem and the running config kept.
    process.on('SIGHUP', () => {
      lasso.reload().then(
        (result) => process.stderr.write(result.ok ? `SIGHUP: config reloaded (${result.changes.join('; ') || 'no changes'})\n` : `SIGHUP: config refused, running config kept:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`),
        (err: unknown) => lasso.logger.error({ err }, 'config reload failed'),
      );
    });
  }
  onShutdown(async () => {
    await lasso.close();
    await devnet?.stop();
  });
}

async function devnetCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: 'string', default: '3' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'block-time': { type: 'string', default: '1000ms' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 16) throw new UsageError('--nodes must be an integer from 1 to 16');
  const devnet = await runDevnetCommand(
    { nodes, host: values.host, port: parsePort(values.port), blockTimeMs: parseDuration(values['block-time']), json: values.json },
    { stdout: (line) => process.stdout.write(`${line}\n`) },
  );
  onShutdown(() => devnet.stop());
}

async function checkConfigCommand(args: string[]): Promise<void> {
  const [file] = args;
  if (!file) throw new UsageError('check-config needs a FILE');
  const config = await loadConfigOrExit(file);
  process.stdout.write(`${summarizeConfig(config)}\n`);
}

async function loadConfigOrExit(path: string): Promise<LassoConfig> {
  try {
    return await loadConfigFile(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

class UsageError extends Error {}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid port "${value}"`);
  return port;
}

/** Accepts "1000ms", "2s", "1.5s" or a bare number of milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new UsageError(`invalid duration "${value}" (use e.g. 500ms, 2s, 1m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: shutting down\n`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

export { UsageError };
