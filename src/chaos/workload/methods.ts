import { numberToHex } from 'viem';
import type { Address, Hex } from 'viem';
import type { Prng } from '../prng.js';
import { WorkloadConfigError } from './errors.js';

/**
 * Request kinds a workload can mix. Each is a JSON-RPC method, except `eth_call:revert`: an
 * `eth_call` that reverts on every node (a deterministic error Lasso must pass through untouched).
 */
export const WORKLOAD_METHODS = [
  'eth_blockNumber',
  'eth_chainId',
  'net_version',
  'eth_gasPrice',
  'eth_getBalance',
  'eth_getBlockByNumber',
  'eth_getLogs',
  'eth_call',
  'eth_call:revert',
  'eth_sendRawTransaction',
] as const;

export type WorkloadMethod = (typeof WORKLOAD_METHODS)[number];

/** Relative weights per request kind (they need not sum to 100). */
export type MethodMix = Partial<Record<WorkloadMethod, number>>;

/**
 * A dapp's read mix. eth_blockNumber is a small share: Lasso answers it from its chain view, so
 * it says little about routing and failover.
 */
export const DEFAULT_METHOD_MIX: Readonly<MethodMix> = Object.freeze({ eth_getBalance: 40, eth_getBlockByNumber: 20, eth_call: 15, eth_blockNumber: 15, eth_getLogs: 10 });

/** What the parameter builders need to know about the chain. */
export interface WorkloadChain {
  /** Addresses `eth_getBalance` asks about. */
  addresses: readonly Address[];
  /** Contract `eth_call` and `eth_getLogs` use. */
  emitter: Address;
  /** Calldata of an `eth_call` that succeeds. */
  callData: Hex;
  /** Calldata of an `eth_call` that reverts. */
  revertData: Hex;
  /** The chain head right now (ranges of eth_getLogs / eth_getBlockByNumber end there). */
  head(): number;
  /** A fresh signed transaction, for `eth_sendRawTransaction`; required when the mix has it. */
  nextRawTransaction?(): Hex | Promise<Hex>;
}

/** Validated, cumulative form of a mix, for O(kinds) picking. */
export class MethodPicker {
  private readonly kinds: WorkloadMethod[] = [];
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(mix: MethodMix) {
    let sum = 0;
    for (const [kind, weight] of Object.entries(mix)) {
      if (!(WORKLOAD_METHODS as readonly string[]).includes(kind)) {
        throw new WorkloadConfigError(`unknown workload method ${JSON.stringify(kind)}; expected one of ${WORKLOAD_METHODS.join(', ')}`);
      }
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
        throw new WorkloadConfigError(`weight of ${kind} must be a non-negative number, got ${String(weight)}`);
      }
      if (weight === 0) continue;
      sum += weight;
      this.kinds.push(kind as WorkloadMethod);
      this.cumulative.push(sum);
    }
    if (sum <= 0) throw new WorkloadConfigError('the method mix has no positive weight');
    this.total = sum;
  }

  /** The kinds with a positive weight, in mix order. */
  get methods(): readonly WorkloadMethod[] {
    return this.kinds;
  }

  pick(prng: Prng): WorkloadMethod {
    const x = prng.next() * this.total;
    for (let i = 0; i < this.kinds.length; i++) if (x < this.cumulative[i]!) return this.kinds[i]!;
    return this.kinds[this.kinds.length - 1]!;
  }
}

export interface CallParamsOptions {
  /** eth_getLogs spans at most this many blocks. @default 5 */
  logsRangeBlocks?: number;
}

/**
 * The JSON-RPC call for one request kind. Every random choice is drawn from `prng` before
 * anything asynchronous happens, so the sequence of draws depends on the seed only.
 */
export function buildCall(
  kind: WorkloadMethod,
  chain: WorkloadChain,
  prng: Prng,
  options: CallParamsOptions = {},
): { method: string; params: unknown[] } | Promise<{ method: string; params: unknown[] }> {
  switch (kind) {
    case 'eth_blockNumber':
    case 'eth_chainId':
    case 'net_version':
    case 'eth_gasPrice':
      return { method: kind, params: [] };
    case 'eth_getBalance': {
      const address = chain.addresses[prng.nextInt(chain.addresses.length)];
      if (address === undefined) throw new WorkloadConfigError('eth_getBalance needs at least one address');
      return { method: kind, params: [address, 'latest'] };
    }
    case 'eth_getBlockByNumber': {
      const back = prng.nextInt(4);
      // One block behind the head at most a few: every in-sync provider has it.
      const n = Math.max(0, chain.head() - back);
      return { method: kind, params: [numberToHex(n), false] };
    }
    case 'eth_getLogs': {
      const span = Math.max(1, options.logsRangeBlocks ?? 5);
      const width = prng.nextInt(span);
      const to = Math.max(0, chain.head());
      const from = Math.max(0, to - width);
      return { method: kind, params: [{ address: chain.emitter, fromBlock: numberToHex(from), toBlock: numberToHex(to) }] };
    }
    case 'eth_call':
      return { method: 'eth_call', params: [{ to: chain.emitter, data: chain.callData }, 'latest'] };
    case 'eth_call:revert':
      return { method: 'eth_call', params: [{ to: chain.emitter, data: chain.revertData }, 'latest'] };
    case 'eth_sendRawTransaction': {
      const next = chain.nextRawTransaction;
      if (!next) throw new WorkloadConfigError('eth_sendRawTransaction in the mix needs a transaction supply (WorkloadChain.nextRawTransaction)');
      const raw = next.call(chain);
      return typeof raw === 'string' ? { method: kind, params: [raw] } : raw.then((r) => ({ method: kind, params: [r] }));
    }
  }
}
