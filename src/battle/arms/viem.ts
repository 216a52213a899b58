import { createClient, fallback, http } from 'viem';
import type { Transport } from 'viem';
import type { TargetReply, RpcTarget } from '../../chaos/workload/index.js';
import { isDeterministicRpcError, jsonSafe, withTimeout } from './types.js';
import { watchHeadsInWorker } from './viem-heads.js';
import type { ArmInstance, BattleArm } from './types.js';

/** A client pinned to one provider: viem with an `http` transport (default options: 10 s timeout, 3 retries). */
export const pinnedArm: BattleArm = {
  id: 'pinned',
  title: 'Single provider (viem http)',
  describe: (pinTo) => `viem client with http(${pinTo}) (defaults: 10 s timeout, 3 retries); newHeads via webSocket(${pinTo}) + watchBlocks (reconnects 5 x 2 s).`,
  async create(ctx) {
    const p = ctx.cluster.provider(ctx.pinTo);
    return viemInstance('pinned', http(p.proxy.httpUrl), ctx.watchBlocks ? [p.proxy.wsUrl] : []);
  },
};

/** viem's client-side `fallback` transport with ranking over every provider. */
export const viemFallbackArm: BattleArm = {
  id: 'viem-fallback',
  title: 'viem fallback (rank)',
  describe: () =>
    'viem fallback([http(p) for each provider], { rank: true }) (ranking pings every 4 s; per-transport 10 s timeout); newHeads via ' +
    'fallback([webSocket(p)...]) + watchBlocks (viem subscribes on the first socket transport only).',
  async create(ctx) {
    const urls = ctx.cluster.providers.map((p) => p.proxy.httpUrl);
    const ws = ctx.cluster.providers.map((p) => p.proxy.wsUrl);
    return viemInstance('viem-fallback', fallback(urls.map((u) => http(u)), { rank: true }), ctx.watchBlocks ? ws : []);
  },
};

function viemInstance(name: string, transport: Transport, wsUrls: string[]): ArmInstance {
  const client = createClient({ transport });
  const target: RpcTarget = {
    name,
    async send(call, { timeoutMs }) {
      const r = await withTimeout(client.request({ method: call.method as never, params: call.params as never }), timeoutMs);
      if (r.ok === 'timeout') return { failure: 'client_timeout' };
      if (r.ok) return { result: jsonSafe(r.value) };
      return viemFailure(r.error);
    },
    close: async () => undefined,
  };
  const heads = wsUrls.length > 0 ? watchHeadsInWorker(`${name}-newHeads`, wsUrls) : undefined;
  return {
    target,
    ...(heads && { heads }),
    close: async () => {
      await heads?.close();
    },
  };
}

interface ErrorLike {
  name?: string;
  code?: unknown;
  status?: unknown;
  message?: string;
  shortMessage?: string;
  details?: string;
  cause?: unknown;
}

/** Maps a viem error to a workload reply: upstream JSON-RPC errors keep their code; the rest are failures. */
function viemFailure(err: unknown): TargetReply {
  const chain: ErrorLike[] = [];
  for (let e = err as ErrorLike | undefined; e && chain.length < 10; e = e.cause as ErrorLike | undefined) chain.push(e);
  if (chain.some((e) => e.name === 'TimeoutError')) return { failure: 'client_timeout' };
  const http = chain.find((e) => e.name === 'HttpRequestError' && typeof e.status === 'number');
  if (http) return { failure: 'http_status', failureDetail: `HTTP ${String(http.status)}`, httpStatus: http.status as number };
  const rpc = chain.find((e) => e.name === 'RpcRequestError' && typeof e.code === 'number') ?? chain.find((e) => typeof e.code === 'number' && e.code !== -1);
  if (rpc) {
    const message = (rpc.details ?? rpc.shortMessage ?? rpc.message ?? '').slice(0, 200);
    const code = rpc.code as number;
    return { error: { code, message }, errorFromUpstream: isDeterministicRpcError(code, message) };
  }
  const first = chain[chain.length - 1] ?? {};
  return { failure: 'transport', failureDetail: (first.name ?? 'error').slice(0, 100) };
}
