import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';

export interface ClosedLoopOptions {
  /** Full URL to POST to. */
  url: string;
  /** Request body: the same for every request, or the body of the i-th request sent. */
  body: string | ((i: number) => string);
  /** Concurrent in-flight requests (and keep-alive connections). */
  concurrency: number;
  durationMs: number;
  /** Requests sent before measuring, to warm pools and JIT. */
  warmupMs?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  durationMs: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A closed loop kept open between measurements (its pool and connections stay up). */
export interface ClosedLoopGenerator {
  /** Runs the loop for `ms`; what it measures adds to the current window. */
  run(ms: number): Promise<void>;
  /** The current window's figures; a new window starts. */
  take(): LoadResult;
  close(): Promise<void>;
}

/**
 * Closed-loop load: `concurrency` workers each send the next request as soon as the previous one
 * answered. That measures capacity (max throughput), which is what an overhead ratio needs; latency
 * under a fixed arrival rate is the battle test's job.
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const generator = openClosedLoop(options);
  try {
    await generator.run(options.warmupMs ?? 1000);
    generator.take();
    await generator.run(options.durationMs);
    return generator.take();
  } finally {
    await generator.close();
  }
}

/**
 * A closed loop that can run in slices: benchmarks that compare servers alternate them in short
 * slices, so that a change in the machine's speed falls on every server alike.
 */
export function openClosedLoop(options: Omit<ClosedLoopOptions, 'durationMs' | 'warmupMs'>): ClosedLoopGenerator {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.concurrency, pipelining: 1 });
  const path = `${url.pathname}${url.search}`;
  const headers = { 'content-type': 'application/json' };
  const newHistogram = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let histogram = newHistogram();
  let requests = 0;
  let errors = 0;
  let measuredMs = 0;
  let sent = 0;
  const { body } = options;
  const bodyOf = typeof body === 'string' ? () => body : body;

  const one = async (): Promise<void> => {
    const started = process.hrtime.bigint();
    try {
      const res = await pool.request({ path, method: 'POST', headers, body: bodyOf(sent++) });
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.includes('"result"')) errors++;
    } catch {
      errors++;
    }
    requests++;
    histogram.recordValue(Number(process.hrtime.bigint() - started) / 1000); // microseconds
  };

  return {
    async run(ms) {
      const started = performance.now();
      const end = started + ms;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (performance.now() < end) await one();
        }),
      );
      measuredMs += performance.now() - started;
    },
    take() {
      const result: LoadResult = {
        requests,
        errors,
        durationMs: measuredMs,
        throughput: requests / (measuredMs / 1000),
        p50Ms: histogram.getValueAtPercentile(50) / 1000,
        p99Ms: histogram.getValueAtPercentile(99) / 1000,
        maxMs: histogram.maxValue / 1000,
      };
      histogram.destroy();
      histogram = newHistogram();
      requests = 0;
      errors = 0;
      measuredMs = 0;
      return result;
    },
    close: () => pool.close(),
  };
}
