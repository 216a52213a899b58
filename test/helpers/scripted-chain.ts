import type { RpcError } from '../../src/jsonrpc/errors.js';
import { parseBlock } from '../../src/subscriptions/block.js';
import type { BlockId, ChainBlock } from '../../src/subscriptions/block.js';
import type { ChainReader } from '../../src/subscriptions/chain-reader.js';
import type { StreamContext } from '../../src/subscriptions/context.js';
import { SubscriptionsSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observability/component-logger.js';
import type { SubscriptionMetrics } from '../../src/observability/subscription-metrics.js';
import { ReadError } from '../../src/subscriptions/errors.js';

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** A chain whose blocks carry one log each; branches get distinct hashes. */
export class ScriptedChain {
  readonly byHash = new Map<string, ChainBlock>();
  canonical: ChainBlock[] = [];
  private serial = 0;
  /** Per block number: how many more by-number reads answer null (a lagging provider). */
  readonly nullsAhead = new Map<number, number>();

  constructor(length: number) {
    for (let n = 0; n < length; n++) this.mine();
  }

  mine(count = 1): void {
    for (let i = 0; i < count; i++) {
      const n = this.canonical.length;
      const parent = this.canonical[n - 1];
      const raw = {
        number: `0x${n.toString(16)}`,
        hash: `0x${hex(++this.serial, 8)}${hex(n, 56)}`,
        parentHash: parent?.hash ?? `0x${'0'.repeat(64)}`,
        transactions: [],
      };
      const block = parseBlock(raw) as ChainBlock;
      this.byHash.set(block.hash, block);
      this.canonical.push(block);
    }
  }

  reorg(depth: number, newBlocks: number): ChainBlock[] {
    const orphaned = this.canonical.splice(this.canonical.length - depth);
    this.mine(newBlocks);
    return orphaned;
  }

  head(): ChainBlock {
    return this.canonical.at(-1) as ChainBlock;
  }

  log(block: BlockId) {
    return { address: '0x' + 'aa'.repeat(20), topics: [], blockHash: block.hash, blockNumber: `0x${block.number.toString(16)}`, logIndex: '0x0', removed: false };
  }

  reader(): ChainReader {
    return {
      blockNumber: async () => this.canonical.length - 1,
      blockByNumber: async (n) => {
        const number = n === 'latest' ? this.canonical.length - 1 : n;
        const nulls = this.nullsAhead.get(number) ?? 0;
        if (nulls > 0) {
          this.nullsAhead.set(number, nulls - 1);
          return null;
        }
        return this.canonical[number] ?? null;
      },
      blockByHash: async (h) => this.byHash.get(h) ?? null,
      logsByBlockHash: async (h) => {
        const block = this.byHash.get(h);
        if (!block || this.canonical[block.number] !== block) throw new ReadError('eth_getLogs', 'unknown block', -32000);
        return [this.log(block)];
      },
    };
  }
}

/** A subscription client that keeps what it was sent. */
export class Sink {
  readonly items: any[] = [];
  ended: RpcError | undefined;
  deliver(r: unknown): boolean {
    this.items.push(r);
    return true;
  }
  end(e: RpcError): void {
    this.ended = e;
  }
}

/** The streams' context over `chain` alone: no providers, HTTP reads from the scripted chain. */
export function scriptedContext(chain: ScriptedChain, config: Record<string, unknown> = {}, metrics?: SubscriptionMetrics): StreamContext {
  const silent = () => undefined;
  return {
    chain: 'test',
    providers: [],
    isLagging: () => false,
    chainHead: () => undefined,
    reader: chain.reader(),
    config: SubscriptionsSchema.parse(config),
    metrics,
    logger: silentLogger,
    now: Date.now,
    observeHead: silent,
    noteDelivered: silent,
    countSubscribe: silent,
  };
}
