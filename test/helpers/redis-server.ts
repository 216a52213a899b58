/**
 * A real redis-server (Debian package) for tests: on 127.0.0.1 and a free port, no persistence,
 * killed by PID (also on process exit). `restart()` brings it back on the same port.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const REDIS_BIN = process.env.LASSO_REDIS_SERVER ?? '/usr/bin/redis-server';
const READY_RE = /Ready to accept connections/;

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.spawn();
    return server;
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid as number, 'SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  private spawn(timeoutMs = 10_000): Promise<void> {
    const child = spawn(REDIS_BIN, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const killOnExit = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    return new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => fail(new Error(`redis-server not ready within ${timeoutMs} ms: ${output.slice(-500)}`)), timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        killOnExit();
        reject(err);
      };
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`redis-server exited (${code}) before it was ready: ${output.slice(-500)}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (READY_RE.test(output)) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          child.once('exit', () => process.off('exit', killOnExit));
          // Keep draining (a full pipe would block redis) without keeping the text.
          child.stdout?.removeAllListeners('data');
          child.stderr?.removeAllListeners('data');
          child.stdout?.resume();
          child.stderr?.resume();
          resolve();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
    });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
