import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { startLasso } from '../../src/app.js';
import type { LassoInstance } from '../../src/app.js';
import { lassoConfigSchema } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';

/** A port nothing listens on: taken from the OS, then released (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Log lines a Lasso wrote, parsed, with a way to wait for one. */
export class CapturedLog {
  readonly lines: Record<string, unknown>[] = [];
  private listeners: (() => void)[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      for (const listener of this.listeners) listener();
      done();
    },
  });

  /** Resolves with the first line matching `match`, or rejects after `timeoutMs`. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.lines.find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(found);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`no log line matched within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.listeners.push(listener);
    });
  }
}

/** An in-process Lasso on an ephemeral port serving one chain `test` from the given providers, logging into `log`. */
export async function startLassoWith(
  providers: Record<string, unknown>[],
  log: CapturedLog,
  chain: Record<string, unknown> = {},
): Promise<LassoInstance> {
  const config = lassoConfigSchema.parse({
    server: { host: '127.0.0.1', port: 0 },
    logging: { level: 'info' },
    // Cache off unless a test asks: these tests watch what reaches the providers, which a cache hides.
    chains: { test: { chainId: 31337, cache: { enabled: false }, ...chain, providers } },
  });
  return startLasso({ config, logger: createLogger('info', log.stream), processMetrics: false });
}
