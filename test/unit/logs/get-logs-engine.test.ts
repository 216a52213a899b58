import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultBytes } from '../../../src/jsonrpc/result-bytes.js';
import { getLogsOverRange, spanOf } from '../../../src/logs/index.js';
import type { BlockRange, LogsSource, RangeAnswer } from '../../../src/logs/index.js';

interface Log {
  blockNumber: number;
  logIndex: number;
}

/** A chain with `perBlock[b]` logs in block b. */
function logsOf(perBlock: readonly number[], range: BlockRange): Log[] {
  const out: Log[] = [];
  for (let b = range.from; b <= range.to; b++) for (let i = 0; i < (perBlock[b] ?? 0); i++) out.push({ blockNumber: b, logIndex: i });
  return out;
}

interface FakeProvider {
  /** Widest range it serves; undefined: any. */
  maxBlocks?: number | undefined;
  /** Whether its refusal states the limit (else it says "too many results"). */
  states?: boolean;
  /** Most logs one answer may hold; more is refused without a number. */
  maxResults?: number | undefined;
  down?: boolean;
}

type Failure = { reason: string };

/**
 * Routing over fake providers, as the pipeline does it: providers known to refuse the range are
 * skipped, the others tried in order; a refusal teaches the limit (stated, else one block less
 * than what failed), a dead provider fails over.
 */
class FakeRouting implements LogsSource<Failure> {
  readonly learned: (number | undefined)[];
  calls: BlockRange[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    readonly providers: FakeProvider[],
    readonly perBlock: readonly number[],
  ) {
    this.learned = providers.map(() => undefined);
  }

  providerLimits(): (number | undefined)[] {
    return this.learned.filter((_, i) => !this.providers[i]?.down);
  }

  async fetch(range: BlockRange): Promise<RangeAnswer<Failure>> {
    this.calls.push(range);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
    const span = spanOf(range);
    const logs = logsOf(this.perBlock, range);
    let refusal: RangeAnswer<Failure> | undefined;
    let tried = false;
    for (const [i, p] of this.providers.entries()) {
      const learned = this.learned[i];
      if (learned !== undefined && span > learned) continue;
      tried = true;
      if (p.down) continue;
      if (p.maxBlocks !== undefined && span > p.maxBlocks) {
        this.learned[i] = p.states ? p.maxBlocks : Math.min(learned ?? Infinity, span - 1);
        refusal = { kind: 'too_wide', accepts: p.states ? p.maxBlocks : undefined, failure: { reason: `range ${i}` } };
        continue;
      }
      if (p.maxResults !== undefined && logs.length > p.maxResults) {
        this.learned[i] = Math.min(learned ?? Infinity, span - 1);
        refusal = { kind: 'too_wide', accepts: undefined, failure: { reason: `results ${i}` } };
        continue;
      }
      return { kind: 'logs', result: ResultBytes.fromValue(logs) };
    }
    return refusal ?? { kind: 'failed', failure: { reason: tried ? 'down' : 'no provider' }, retryable: true };
  }
}

const bytesOf = (logs: Log[]): number => Buffer.byteLength(JSON.stringify(logs));

describe('getLogsOverRange', () => {
  it('sends a range nobody refuses once, whole', async () => {
    const routing = new FakeRouting([{}, {}], [1, 2, 0, 3]);
    const outcome = await getLogsOverRange({ from: 0, to: 3 }, routing);
    expect(outcome.kind).toBe('logs');
    expect(routing.calls).toEqual([{ from: 0, to: 3 }]);
    expect(outcome.stats).toEqual({ subRequests: 0, splits: 0, bisections: 0 });
  });

  it('cuts a refused range by the widest stated limit, and asks no provider for more than it takes afterwards', async () => {
    const perBlock = Array.from({ length: 1200 }, (_, b) => b % 7);
    const routing = new FakeRouting([{ maxBlocks: 100, states: true }, { maxBlocks: 250, states: true }, { maxBlocks: 500, states: true }], perBlock);
    const first = await getLogsOverRange({ from: 0, to: 1199 }, routing);
    expect(first.kind === 'logs' && first.result.value()).toEqual(logsOf(perBlock, { from: 0, to: 1199 }));
    expect(first.stats).toMatchObject({ subRequests: 3, splits: 1, bisections: 0 });
    routing.calls = [];
    // Every provider's limit is known now: no whole request that all would refuse.
    const second = await getLogsOverRange({ from: 0, to: 1199 }, routing);
    expect(second.kind === 'logs' && second.result.value()).toEqual(logsOf(perBlock, { from: 0, to: 1199 }));
    expect(routing.calls).toEqual([{ from: 0, to: 499 }, { from: 500, to: 999 }, { from: 1000, to: 1199 }]);
  });

  it('halves a range refused for its results until each piece fits', async () => {
    const perBlock = Array.from({ length: 64 }, () => 1);
    const routing = new FakeRouting([{ maxResults: 10 }], perBlock);
    const outcome = await getLogsOverRange({ from: 0, to: 63 }, routing);
    expect(outcome.kind === 'logs' && outcome.result.value()).toEqual(logsOf(perBlock, { from: 0, to: 63 }));
    expect(outcome.stats.bisections).toBeGreaterThanOrEqual(2);
  });

  it('moves a piece to a narrower provider when the wide one dies', async () => {
    const perBlock = Array.from({ length: 1000 }, (_, b) => (b % 3 === 0 ? 1 : 0));
    const providers: FakeProvider[] = [{ maxBlocks: 100, states: true }, { maxBlocks: 500, states: true }];
    const routing = new FakeRouting(providers, perBlock);
    await getLogsOverRange({ from: 0, to: 999 }, routing);
    (providers[1] as FakeProvider).down = true;
    // Still believed usable by the engine (its breaker has not opened yet): the 500-block pieces fail and are cut to 100.
    routing.providerLimits = () => [...routing.learned];
    const outcome = await getLogsOverRange({ from: 0, to: 999 }, routing);
    expect(outcome.kind === 'logs' && outcome.result.value()).toEqual(logsOf(perBlock, { from: 0, to: 999 }));
  });

  it('gives back a failure that smaller pieces cannot fix', async () => {
    const routing = new FakeRouting([{ down: true }], [1, 1, 1]);
    const outcome = await getLogsOverRange({ from: 0, to: 2 }, routing);
    expect(outcome).toMatchObject({ kind: 'failed', failure: { reason: 'down' } });
    expect(routing.calls).toHaveLength(1);
  });

  it('refuses past maxResponseBytes and stops fetching', async () => {
    const perBlock = Array.from({ length: 1000 }, () => 2);
    const routing = new FakeRouting([{ maxBlocks: 10, states: true }], perBlock);
    const pieceBytes = bytesOf(logsOf(perBlock, { from: 0, to: 9 }));
    const outcome = await getLogsOverRange({ from: 0, to: 999 }, routing, { maxResponseBytes: pieceBytes * 5 + 1, concurrency: 2 });
    expect(outcome).toMatchObject({ kind: 'over_cap', limitBytes: pieceBytes * 5 + 1, range: { from: 0, to: 999 } });
    // The whole request, then pieces until the sixth pushed it over (plus those already in flight).
    expect(routing.calls.length).toBeLessThanOrEqual(1 + 6 + 2);
  });

  it('keeps at most `concurrency` pieces in flight', async () => {
    const routing = new FakeRouting([{ maxBlocks: 5, states: true }], Array.from({ length: 200 }, () => 1));
    const outcome = await getLogsOverRange({ from: 0, to: 199 }, routing, { concurrency: 3 });
    expect(outcome.kind).toBe('logs');
    expect(routing.maxInFlight).toBe(3);
  });

  it('merges exactly what an uncapped node returns, whatever the providers\' limits', async () => {
    const provider = fc.record({
      maxBlocks: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
      states: fc.boolean(),
      maxResults: fc.option(fc.integer({ min: 3, max: 200 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(provider, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 700 }),
        fc.integer({ min: 1, max: 8 }),
        async (providers, perBlock, concurrency) => {
          const routing = new FakeRouting(providers, perBlock);
          const range = { from: 0, to: perBlock.length - 1 };
          const outcome = await getLogsOverRange(range, routing, { concurrency });
          expect(outcome.kind).toBe('logs');
          if (outcome.kind === 'logs') expect(outcome.result.value()).toEqual(logsOf(perBlock, range));
        },
      ),
      { numRuns: 150, seed: 12 },
    );
  });
});
