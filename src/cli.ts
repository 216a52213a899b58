import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { startLasso } from './app.js';
import { parseDuration } from './battle/units.js';
import type { LassoInstance } from './app.js';
import { ConfigError, findDefaultConfigPath, loadConfigFile, LOG_LEVELS, ServerSchema, summarizeConfig } from './config/index.js';
import type { LassoConfig } from './config/index.js';
import { DEVNET_DEFAULTS, DEVNET_USAGE, runDevnetCommand } from './devnet/index.js';
import type { Devnet } from './devnet/index.js';
import { embeddedDevnetConfig } from './embedded-devnet.js';
import { createLogger } from './observability/logger.js';
import { checkPortAvailable } from './server/port-available.js';
import { errorMessage } from './error-message.js';

const USAGE = `Usage: lasso <command> [options]

Commands:
  start          serve JSON-RPC from the configured chains (or an embedded devnet)
  devnet         run a lockstep anvil devnet (N nodes serving one identical chain)
  check-config   validate a config file and print a summary (URLs redacted)
  battle         chaos battle test with SLO verdicts and JSON/Markdown/HTML reports
  help           show this text

lasso <command> --help shows the options of a command; lasso --version prints the version.
`;

const START_USAGE = `Usage: lasso start [options]

Serves JSON-RPC over HTTP (/rpc/:chain) and WebSocket (/ws/rpc/:chain). Without --config and
without ./lasso.yaml (or ./lasso.yml) it starts an embedded 3-node anvil devnet and serves it as
chain "devnet" (chainId ${DEVNET_DEFAULTS.chainId}).

Options:
  -c, --config FILE       config file (YAML) (default: ./lasso.yaml when present)
      --host HOST         listen address (default: the config's server.host, 127.0.0.1)
      --port PORT         listen port; 0 picks a free one (default: the config's server.port, 4000)
      --log-level LEVEL   ${LOG_LEVELS.join(' | ')} (default: the config's, info)
  -h, --help              show this text
`;

const CHECK_CONFIG_USAGE = `Usage: lasso check-config FILE

Validates a config file, lists every problem (with "did you mean" hints) and prints a summary
with provider URLs redacted. Exit code: 0 valid, 1 invalid, 2 usage error.

Options:
  -h, --help   show this text
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
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${await packageVersion()}\n`);
      return;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

/** The version in Lasso's package.json (one directory above src/ and dist/). */
async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `--help` or `-h` before any `--`: the command prints its usage and does nothing else. */
function helpRequested(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** parseArgs (strict) whose errors become a UsageError pointing to the command's help. */
function parseCommandArgs<const T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(`${errorMessage(err)} (lasso ${command} --help lists the options)`);
  }
}

async function startCommand(args: string[]): Promise<void> {
  if (helpRequested(args)) return void process.stdout.write(START_USAGE);
  const { values } = parseCommandArgs('start', args, {
    config: { type: 'string', short: 'c' },
    host: { type: 'string' },
    port: { type: 'string' },
    'log-level': { type: 'string' },
  });
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`invalid --log-level "${logLevel}"; valid: ${LOG_LEVELS.join(', ')}`);
  }
  const configPath = values.config ?? findDefaultConfigPath(process.cwd());
  const fileConfig = configPath ? await loadConfigOrExit(configPath) : undefined;
  const server = fileConfig?.server ?? ServerSchema.parse({});
  const host = values.host ?? server.host;
  const port = values.port !== undefined ? parsePort(values.port) : server.port;
  await ensurePortAvailable(host, port);

  let devnet: Devnet | undefined;
  let config: LassoConfig;
  if (fileConfig) {
    config = fileConfig;
  } else {
    const started = await runDevnetCommand({ nodes: 3, host: '127.0.0.1', port: 0, blockTimeMs: 1000, json: false }, { stdout: (line) => process.stderr.write(`${line}\n`) });
    devnet = started;
    config = embeddedDevnetConfig(started);
  }
  config.server.host = host;
  config.server.port = port;
  if (logLevel !== undefined) config.logging.level = logLevel as LassoConfig['logging']['level'];
  const logger = createLogger(config.logging.level);
  let lasso: LassoInstance;
  try {
    lasso = await startLasso({ config, logger, ...(configPath && { loadConfig: () => loadConfigFile(configPath) }) });
  } catch (err) {
    await devnet?.stop();
    throw err;
  }
  const chainNames = lasso.chains.all().map((c) => c.name);
  // The key itself is never printed: with keys required, the hint names where one goes.
  const keyHeader = config.server.auth !== undefined && !config.server.auth.anonymous ? ` -H 'x-lasso-key: <your key>'` : '';
  process.stderr.write(`lasso listening on ${lasso.url}  (try: curl -s ${lasso.url}/rpc/${chainNames[0] ?? 'CHAIN'}${keyHeader} -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}')\n`);
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

/** Refuses a taken port up front, with what to do about it, instead of failing after a devnet started. */
async function ensurePortAvailable(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const check = await checkPortAvailable(host, port);
  if (check.available) return;
  if (check.code === 'EADDRINUSE') {
    throw new UsageError(
      `port ${port} on ${host} is already in use: another Lasso may already be running there (curl http://${host}:${port}/health), ` +
        'or another program holds it; choose another port with --port (or server.port in the config)',
    );
  }
  throw new UsageError(`cannot listen on ${host}:${port} (${check.code}); choose another address with --host / --port`);
}

async function devnetCommand(args: string[]): Promise<void> {
  if (helpRequested(args)) return void process.stdout.write(DEVNET_USAGE);
  const { values } = parseCommandArgs('devnet', args, {
    nodes: { type: 'string', default: '3' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'block-time': { type: 'string', default: '1000ms' },
    json: { type: 'boolean', default: false },
  });
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 16) throw new UsageError('--nodes must be an integer from 1 to 16');
  const port = parsePort(values.port);
  if (port !== 0) for (let i = 0; i < nodes; i++) await ensurePortAvailable(values.host, port + i);
  const devnet = await runDevnetCommand(
    { nodes, host: values.host, port, blockTimeMs: parseBlockTime(values['block-time']), json: values.json },
    { stdout: (line) => process.stdout.write(`${line}\n`) },
  );
  onShutdown(() => devnet.stop());
}

async function checkConfigCommand(args: string[]): Promise<void> {
  if (helpRequested(args)) return void process.stdout.write(CHECK_CONFIG_USAGE);
  const { positionals } = parseCommandArgs('check-config', args, {}, true);
  const [file, ...extra] = positionals;
  if (!file) throw new UsageError('check-config needs a FILE (lasso check-config --help)');
  if (extra.length > 0) throw new UsageError(`check-config takes one FILE, got ${positionals.length}`);
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

/** `--block-time`: a duration as the battle takes it ("1000ms", "2s", "1.5m" or bare milliseconds). */
function parseBlockTime(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(`--block-time: ${errorMessage(err)}`);
  }
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
