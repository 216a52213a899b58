import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { anvilBinaryPath } from './anvil-binary.js';
import { NodeStartError } from './errors.js';

/** Genesis and networking flags of one anvil node. Every node of a devnet gets the same genesis flags. */
export interface AnvilProcessOptions {
  /** Used in error messages and logs. */
  id: string;
  host: string;
  /** 0 lets anvil pick a free port (it prints the bound one); anything else must be free. */
  port: number;
  chainId: number;
  /** Unix seconds of the genesis block. */
  genesisTimestamp: number;
  mnemonic: string;
  /** Base fee of the genesis block, in wei. */
  baseFeePerGas: bigint;
  /** Deadline for anvil to print its listening address. @default 10_000 */
  startTimeoutMs?: number;
}

export interface AnvilExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every anvil child still alive in this Node process, killed on process exit so none can leak. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a plain SIGKILL per PID is all we can (and need to) do.
  process.on('exit', () => {
    for (const child of liveChildren) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

const LISTENING_RE = /Listening on (\S+):(\d+)/;
const STDERR_TAIL_CHARS = 2_000;

/**
 * One anvil process, spawned directly from the platform binary (not the npm wrapper) so that
 * signals sent to `pid` reach anvil itself.
 *
 * anvil is started without `--silent` because the banner is the only place it reports the port it
 * bound with `--port 0`. It logs one line per request afterwards, so stdout is drained for the
 * whole life of the process: a full pipe would block anvil's writer threads.
 */
export class AnvilProcess {
  /** Resolves when the process has exited, however that happened. */
  readonly exited: Promise<AnvilExit>;
  private exitInfo: AnvilExit | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly host: string,
    readonly port: number,
    exited: Promise<AnvilExit>,
  ) {
    this.exited = exited;
    void exited.then((info) => {
      this.exitInfo = info;
    });
  }

  get alive(): boolean {
    return this.exitInfo === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal to the PID (no-op when already exited). */
  signal(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // exited between the check and the kill
    }
  }

  /**
   * Sends `signal` and waits for the exit. A process that ignores a polite signal for `graceMs`
   * gets SIGKILL, so this always resolves with the process gone.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 5_000): Promise<AnvilExit> {
    if (!this.alive) return this.exited;
    this.signal(signal);
    if (signal === 'SIGKILL') return this.exited;
    this.signal('SIGCONT'); // a SIGSTOPped process acts on the signal only once it runs again

    let timer: NodeJS.Timeout | undefined;
    const escalate = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        resolve();
      }, graceMs);
    });
    try {
      await Promise.race([this.exited, escalate]);
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  static async spawn(opts: AnvilProcessOptions): Promise<AnvilProcess> {
    installExitHook();
    const args = [
      '--host', opts.host,
      '--port', String(opts.port),
      '--chain-id', String(opts.chainId),
      '--timestamp', String(opts.genesisTimestamp),
      '--mnemonic', opts.mnemonic,
      '--accounts', '10',
      '--balance', '10000',
      '--base-fee', opts.baseFeePerGas.toString(),
      // Blocks only when the devnet says so, with the timestamp it says: the lockstep contract.
      '--no-mining',
      // Transactions are mined in the order they arrived. The devnet feeds every node a block's
      // transactions in the same order, so every node builds the same block.
      '--order', 'fifo',
    ];
    const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    liveChildren.add(child);
    const exited = new Promise<AnvilExit>((resolve) => {
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        resolve({ code, signal });
      });
      // A spawn failure (e.g. ENOENT) may never emit 'exit'.
      child.once('error', () => {
        if (child.pid === undefined) {
          liveChildren.delete(child);
          resolve({ code: null, signal: null });
        }
      });
    });

    let stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });

    const timeoutMs = opts.startTimeoutMs ?? 10_000;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let banner = '';
        const onData = (chunk: string): void => {
          banner += chunk;
          const match = LISTENING_RE.exec(banner);
          if (match) {
            done();
            resolve(Number(match[2]));
          } else if (banner.length > 64_000) {
            banner = banner.slice(-1_000); // the banner is a few KB; never grow without bound
          }
        };
        const onError = (err: Error): void => {
          done();
          reject(new NodeStartError(opts.id, `spawn failed: ${err.message}`));
        };
        const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
          done();
          reject(new NodeStartError(opts.id, `anvil exited before listening (code ${code}, signal ${signal})`, stderrTail));
        };
        const timer = setTimeout(() => {
          done();
          reject(new NodeStartError(opts.id, `anvil did not listen within ${timeoutMs} ms`, stderrTail));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.off('error', onError);
          child.off('exit', onExit);
        };
        child.stdout?.setEncoding('utf8');
        child.stdout?.on('data', onData);
        child.once('error', onError);
        child.once('exit', onExit);
      });
      // Keep draining: anvil logs every request to stdout.
      child.stdout?.on('data', () => undefined);
      if (child.pid === undefined) throw new NodeStartError(opts.id, 'spawned without a pid');
      return new AnvilProcess(child, child.pid, opts.host, port, exited);
    } catch (err) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      throw err;
    }
  }
}
