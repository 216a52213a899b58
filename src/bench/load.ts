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

/**
 * Closed-loop load: `concurrency` workers each send the next request as soon as the previous one
 * answered. That measures capacity (max throughput), which is what an overhead ratio needs; latency
 * under a fixed arrival rate is the battle test's job.
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.concurrency, pipelining: 1 });
  const path = `${url.pathname}${url.search}`;
  const headers = { 'content-type': 'application/json' };
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let requests = 0;
  let errors = 0;
  let measuring = false;
  let sent = 0;
  const { body } = options;
  const bodyOf = typeof body === 'string' ? () => body : body;

  const one = async (): Promise<void> => {
    const started = process.hrtime.bigint();
    try {
      const res = await pool.request({ path, method: 'POST', headers, body: bodyOf(sent++) });
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.includes('"result"')) errors += measuring ? 1 : 0;
    } catch {
      if (measuring) errors++;
    }
    if (measuring) {
      requests++;
      histogram.recordValue(Number(process.hrtime.bigint() - started) / 1000); // microseconds
    }
  };

  const runFor = async (ms: number): Promise<void> => {
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < end) await one();
      }),
    );
  };

  try {
    await runFor(options.warmupMs ?? 1000);
    measuring = true;
    const started = performance.now();
    await runFor(options.durationMs);
    const durationMs = performance.now() - started;
    return {
      requests,
      errors,
      durationMs,
      throughput: requests / (durationMs / 1000),
      p50Ms: histogram.getValueAtPercentile(50) / 1000,
      p99Ms: histogram.getValueAtPercentile(99) / 1000,
      maxMs: histogram.maxValue / 1000,
    };
  } finally {
    await pool.close();
  }
}
