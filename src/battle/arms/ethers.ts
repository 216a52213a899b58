import type { TargetCall, TargetReply, RpcTarget } from '../../chaos/workload/index.js';
import { HeadRecorder, isDeterministicRpcError, jsonSafe, withTimeout } from './types.js';
import type { ArmInstance, BattleArm } from './types.js';

type Ethers = typeof import('ethers');
type FallbackProvider = InstanceType<Ethers['FallbackProvider']>;

/**
 * ethers v6 `FallbackProvider` over every provider, with ethers' defaults (quorum = half the
 * weight, stallTimeout 400 ms per provider, JsonRpcProvider batching). Only the polling interval
 * is set to the block time, so that `on('block')` keeps up with the chain.
 */
export const ethersFallbackArm: BattleArm = {
  id: 'ethers-fallback',
  title: 'ethers FallbackProvider',
  describe: () =>
    "ethers FallbackProvider([JsonRpcProvider(p) for each provider]) with ethers' defaults (quorum 2 of 3, stallTimeout 400 ms, priority 1, " +
    "weight 1), pollingInterval = block time; newHeads via provider.on('block') + getBlock(n), retried while null (with quorum > 1 " +
    'FallbackProvider announces each head one block early).',
  note:
    "Failures reported as 'INVALID_ARGUMENT: invalid numeric value' are ethers' own behaviour, not this arm's: with a quorum above 1, " +
    "FallbackProvider.getBlockNumber() tallies every backend's answer with getNumber(), and a backend that answered with an error " +
    '(a fault window) makes that call throw instead of being outvoted. An application calling provider.getBlockNumber() sees the same error.',
  async create(ctx) {
    // ethers is a devDependency: loaded only when a comparison runs.
    const ethers: Ethers = await import('ethers');
    const network = ethers.Network.from(ctx.cluster.devnet.chainId);
    const providers = ctx.cluster.providers.map((p) => ({
      provider: new ethers.JsonRpcProvider(p.proxy.httpUrl, network, { staticNetwork: network }),
      priority: 1,
      weight: 1,
    }));
    const fp = new ethers.FallbackProvider(providers, network, { pollingInterval: ctx.blockTimeMs });
    const target: RpcTarget = {
      name: 'ethers-fallback',
      async send(call, { timeoutMs }) {
        let op: Promise<unknown>;
        try {
          op = perform(fp, call);
        } catch (err) {
          return { failure: 'transport', failureDetail: err instanceof Error ? err.message.slice(0, 100) : 'unsupported' };
        }
        const r = await withTimeout(op, timeoutMs);
        if (r.ok === 'timeout') return { failure: 'client_timeout' };
        if (r.ok) return { result: jsonSafe(r.value) };
        return ethersFailure(r.error);
      },
      close: async () => undefined,
    };
    let heads: HeadRecorder | undefined;
    if (ctx.watchBlocks) {
      const recorder = new HeadRecorder('ethers-fallback-newHeads');
      heads = recorder;
      // One block at a time, in announcement order, as an application's handler would see them.
      let queue: Promise<void> = Promise.resolve();
      const onBlock = (n: number): void => {
        queue = queue.then(async () => {
          // FallbackProvider (quorum > 1) announces heads one ahead of the chain: its fuzzy mode
          // breaks the tie between N-1, N and N+1 upwards. An application that wants the block
          // retries until it exists, and so does this watcher (for up to 5 s).
          const deadline = Date.now() + 5000;
          for (;;) {
            try {
              const b = await fp.getBlock(n);
              if (b) {
                recorder.add(b.number, b.hash, b.parentHash);
                return;
              }
              recorder.nullBlocks++;
            } catch {
              recorder.errors++;
            }
            if (Date.now() > deadline) return;
            await new Promise((r) => setTimeout(r, 200));
          }
        });
      };
      await fp.on('block', onBlock);
      recorder.onClose(async () => {
        await fp.off('block', onBlock);
      });
    }
    const instance: ArmInstance = {
      target,
      ...(heads && { heads }),
      close: async () => {
        await heads?.close();
        fp.destroy();
        for (const p of providers) p.provider.destroy();
      },
    };
    return instance;
  },
};

/** The workload's JSON-RPC calls, expressed through ethers' provider API (FallbackProvider has no raw `send`). */
function perform(fp: FallbackProvider, call: TargetCall): Promise<unknown> {
  const p = call.params;
  switch (call.method) {
    case 'eth_blockNumber':
      return fp.getBlockNumber();
    case 'eth_chainId':
      return fp.getNetwork().then((n) => n.chainId);
    case 'eth_gasPrice':
      return fp.getFeeData().then((f) => f.gasPrice);
    case 'eth_getBalance':
      return fp.getBalance(p[0] as string, p[1] as string);
    case 'eth_getBlockByNumber':
      return fp.getBlock(p[0] as string).then((b) => b?.hash ?? null);
    case 'eth_getLogs':
      return fp.getLogs(p[0] as Parameters<FallbackProvider['getLogs']>[0]).then((logs) => logs.length);
    case 'eth_call':
      return fp.call({ ...(p[0] as object), blockTag: p[1] as string });
    case 'eth_sendRawTransaction':
      return fp.broadcastTransaction(p[0] as string).then((tx) => tx.hash);
    default:
      throw new Error(`method ${call.method} is not mapped to the ethers API`);
  }
}

interface EthersErrorLike {
  code?: unknown;
  shortMessage?: string;
  message?: string;
  info?: { error?: { code?: unknown; message?: string } };
  error?: { code?: unknown; message?: string };
}

function ethersFailure(err: unknown): TargetReply {
  const e = (err ?? {}) as EthersErrorLike;
  if (e.code === 'TIMEOUT') return { failure: 'client_timeout' };
  if (e.code === 'CALL_EXCEPTION') return { error: { code: 3, message: (e.shortMessage ?? 'execution reverted').slice(0, 200) }, errorFromUpstream: true };
  const rpc = e.error ?? e.info?.error;
  if (rpc && typeof rpc.code === 'number') {
    const message = String(rpc.message ?? '').slice(0, 200);
    return { error: { code: rpc.code, message }, errorFromUpstream: isDeterministicRpcError(rpc.code, message) };
  }
  if (e.code === 'BAD_DATA') return { failure: 'invalid_json', failureDetail: 'BAD_DATA' };
  const what = typeof e.code === 'string' ? e.code : 'error';
  return { failure: 'transport', failureDetail: `${what}: ${(e.shortMessage ?? e.message ?? '').slice(0, 120)}` };
}
