import { afterEach, describe, expect, it } from 'vitest';
import { Workload, WorkloadConfigError, createHttpTarget, createPrng, startStaticUpstream } from '../../../src/chaos/index.js';
import { MethodPicker, buildCall, createRunClock, deriveSeed } from '../../../src/chaos/workload/index.js';
import type { RpcTarget, StaticUpstream, TargetCall, TargetReply, WorkloadChain } from '../../../src/chaos/index.js';

const chain: WorkloadChain = {
  addresses: ['0x0000000000000000000000000000000000000001', '0x0000000000000000000000000000000000000002'],
  emitter: '0x00000000000000000000000000000000000000ee',
  callData: '0x06661abd',
  revertData: '0xa9cc4718',
  head: () => 100,
};

/** An in-memory target: answers after `delayMs(call)` with a result, no sockets. */
function fakeTarget(delayMs: (call: TargetCall) => number): RpcTarget & { calls: TargetCall[] } {
  const calls: TargetCall[] = [];
  return {
    name: 'fake',
    calls,
    send: (call) => {
      calls.push(call);
      return new Promise<TargetReply>((resolve) => setTimeout(() => resolve({ result: '0x1', provider: 'p', attempts: 1 }), delayMs(call)));
    },
    close: async () => undefined,
  };
}

describe('method mix', () => {
  it('is deterministic for a seed and follows the weights', () => {
    const picker = new MethodPicker({ eth_blockNumber: 70, eth_getBalance: 20, eth_getLogs: 10 });
    const draw = (seed: number) => {
      const prng = createPrng(seed);
      return Array.from({ length: 5000 }, () => picker.pick(prng));
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    const share = (m: string) => a.filter((x) => x === m).length / a.length;
    expect(share('eth_blockNumber')).toBeCloseTo(0.7, 1);
    expect(share('eth_getBalance')).toBeCloseTo(0.2, 1);
    expect(share('eth_getLogs')).toBeCloseTo(0.1, 1);
  });

  it('rejects unknown methods, negative weights and an empty mix', () => {
    expect(() => new MethodPicker({ eth_foo: 1 } as never)).toThrow(WorkloadConfigError);
    expect(() => new MethodPicker({ eth_blockNumber: -1 })).toThrow(/non-negative/);
    expect(() => new MethodPicker({ eth_blockNumber: 0 })).toThrow(/no positive weight/);
  });

  it('builds parameters from the seed and the chain', () => {
    const prng = createPrng(1);
    expect(buildCall('eth_getBalance', chain, prng)).toMatchObject({ method: 'eth_getBalance', params: [expect.stringMatching(/^0x0+[12]$/), 'latest'] });
    const logs = buildCall('eth_getLogs', chain, prng, { logsRangeBlocks: 5 }) as unknown as { params: [{ fromBlock: string; toBlock: string; address: string }] };
    expect(logs.params[0].toBlock).toBe('0x64');
    expect(Number(logs.params[0].fromBlock)).toBeGreaterThanOrEqual(96);
    expect(buildCall('eth_call:revert', chain, prng)).toEqual({ method: 'eth_call', params: [{ to: chain.emitter, data: chain.revertData }, 'latest'] });
    expect(() => buildCall('eth_sendRawTransaction', chain, prng)).toThrow(WorkloadConfigError);
  });

  it('derives independent, stable seeds per stream', () => {
    expect(deriveSeed(7, 'workload')).toBe(deriveSeed(7, 'workload'));
    expect(deriveSeed(7, 'workload')).not.toBe(deriveSeed(7, 'chaos'));
    expect(deriveSeed(7, 'workload')).not.toBe(deriveSeed(8, 'workload'));
  });
});

describe('open-model workload', () => {
  it('keeps sending on schedule while the target stalls, and counts latency from the scheduled time', async () => {
    // The first 10 requests take 1 s; a closed loop would stop sending meanwhile. The margin for
    // "on time" is wide so that a busy machine's pauses do not pass for waiting on the target.
    const target = fakeTarget((call) => (call.id <= 10 ? 1000 : 1));
    const workload = new Workload({ rate: 100, durationMs: 500 }, { target, chain, seed: 1, clock: createRunClock() });
    await workload.start();
    const records = workload.sortedRecords();
    expect(records).toHaveLength(50);
    for (const r of records) {
      expect(r.sentMs - r.scheduledMs).toBeLessThan(500); // sent on time (the stall is 1 s), whatever earlier requests do
      expect(r.latencyMs).toBeGreaterThanOrEqual(r.sentMs - r.scheduledMs);
    }
    expect(records.slice(0, 10).every((r) => r.latencyMs >= 999)).toBe(true);
    expect(records[20]!.scheduledMs).toBeCloseTo(200, 5);
    expect(records.every((r) => r.outcome === 'success' && r.provider === 'p')).toBe(true);
  });

  it('sends the same sequence of calls for the same seed', async () => {
    const run = async (seed: number) => {
      const target = fakeTarget(() => 0);
      await new Workload({ rate: 200, durationMs: 100, mix: { eth_blockNumber: 1, eth_getBalance: 1, eth_getLogs: 1 } }, { target, chain, seed, clock: createRunClock() }).start();
      return target.calls.sort((a, b) => a.id - b.id).map((c) => JSON.stringify([c.method, c.params]));
    };
    expect(await run(5)).toEqual(await run(5));
    expect(await run(5)).not.toEqual(await run(6));
  });

  it('counts late sends from their slot when the event loop was busy', async () => {
    const target = fakeTarget(() => 0);
    const workload = new Workload({ rate: 100, durationMs: 300 }, { target, chain, seed: 1, clock: createRunClock() });
    const done = workload.start();
    const until = performance.now() + 120;
    while (performance.now() < until) {
      // block the event loop: the requests due meanwhile go out late, and their latency shows it
    }
    await done;
    const late = workload.sortedRecords().filter((r) => r.sentMs - r.scheduledMs > 50);
    expect(late.length).toBeGreaterThan(5);
    for (const r of late) expect(r.latencyMs).toBeGreaterThanOrEqual(r.sentMs - r.scheduledMs);
  });

  it('stop() ends scheduling early', async () => {
    const target = fakeTarget(() => 0);
    const workload = new Workload({ rate: 100, durationMs: 10_000 }, { target, chain, seed: 1, clock: createRunClock() });
    const done = workload.start();
    setTimeout(() => workload.stop(), 100);
    await done;
    expect(workload.records.length).toBeGreaterThan(3);
    expect(workload.records.length).toBeLessThan(30);
  });
});

describe('HTTP target', () => {
  let upstream: StaticUpstream | undefined;
  afterEach(async () => {
    await upstream?.close();
    upstream = undefined;
  });

  it('reads Lasso headers and tells results, upstream errors, Lasso errors and broken answers apart', async () => {
    const replies: Record<string, (id: unknown) => { status: number; body: string; headers?: Record<string, string> }> = {
      ok: (id) => ({ status: 200, body: JSON.stringify({ jsonrpc: '2.0', id, result: '0x1' }), headers: { 'x-lasso-provider': 'node-1', 'x-lasso-attempts': '2', 'x-lasso-hedged': '1' } }),
      revert: (id) => ({ status: 200, body: JSON.stringify({ jsonrpc: '2.0', id, error: { code: 3, message: 'execution reverted', data: '0x' } }), headers: { 'x-lasso-provider': 'node-0', 'x-lasso-attempts': '1' } }),
      limited: (id) => ({ status: 200, body: JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32005, message: 'rate limited', data: { retryAfterMs: 900 } } }), headers: { 'x-lasso-attempts': '0' } }),
      wrongId: () => ({ status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 999, result: '0x1' }) }),
      garbage: () => ({ status: 200, body: '<html>oops</html>' }),
      status: () => ({ status: 502, body: 'bad gateway' }),
    };
    upstream = await startStaticUpstream({
      handler: (req) => {
        const make = replies[req.method];
        if (!make) return undefined;
        const r = make(req.id);
        return { http: { status: r.status, body: r.body, headers: { 'content-type': 'application/json', ...r.headers } } };
      },
    });
    const target = createHttpTarget({ url: `${upstream.url}/rpc/devnet` });
    try {
      const send = (method: string) => target.send({ id: 7, method, params: [] }, { timeoutMs: 2000 });
      expect(await send('ok')).toMatchObject({ result: '0x1', provider: 'node-1', attempts: 2, hedged: true });
      expect(await send('revert')).toMatchObject({ error: { code: 3 }, errorFromUpstream: true, provider: 'node-0' });
      expect(await send('limited')).toMatchObject({ error: { code: -32005, data: { retryAfterMs: 900 } }, errorFromUpstream: false, attempts: 0 });
      expect(await send('wrongId')).toMatchObject({ failure: 'id_mismatch' });
      expect(await send('garbage')).toMatchObject({ failure: 'invalid_json' });
      expect(await send('status')).toMatchObject({ failure: 'http_status', httpStatus: 502 });
    } finally {
      await target.close();
    }
  });

  it('reports a refused connection and a client timeout as failures, never throws', async () => {
    upstream = await startStaticUpstream({ handler: (req) => (req.method === 'slow' ? { hang: true } : undefined) });
    const target = createHttpTarget({ url: upstream.url });
    expect(await target.send({ id: 1, method: 'slow', params: [] }, { timeoutMs: 100 })).toMatchObject({ failure: 'client_timeout' });
    await target.close();
    const port = upstream.port;
    await upstream.close();
    upstream = undefined;
    const dead = createHttpTarget({ url: `http://127.0.0.1:${port}` });
    expect(await dead.send({ id: 1, method: 'eth_blockNumber', params: [] }, { timeoutMs: 1000 })).toMatchObject({ failure: 'transport' });
    await dead.close();
  });
});
