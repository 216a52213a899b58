/**
 * When every provider's breaker is open, a request is still tried on one of them (the one whose
 * head polls answer first) instead of failing untried: a provider repaired during its breaker's
 * open period serves it, as the half-open probe its breaker now counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticUpstream } from '../../../src/chaos/static-upstream.js';
import type { StaticUpstream } from '../../../src/chaos/static-upstream.js';
import { ChainSchema } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { LoopLagMonitor } from '../../../src/observability/loop-lag.js';
import { LassoMetrics } from '../../../src/observability/metrics.js';
import { executeRequest } from '../../../src/pipeline/execute.js';
import type { ExecuteDeps } from '../../../src/pipeline/types.js';
import { ChainRuntime } from '../../../src/providers/chain-runtime.js';

const metrics = new LassoMetrics({ collectProcessMetrics: false });
const deps: ExecuteDeps = { metrics, logger: createLogger('silent'), loopLag: new LoopLagMonitor() };
const upstreams: StaticUpstream[] = [];
let chain: ChainRuntime;

beforeAll(async () => {
  for (let i = 0; i < 2; i++) upstreams.push(await startStaticUpstream({ blockNumber: 100 }));
  chain = new ChainRuntime(
    'test',
    ChainSchema.parse({
      chainId: 1,
      hedging: { enabled: false },
      providers: upstreams.map((u, i) => ({ id: `p${i}`, url: u.url, priority: i })),
    }),
    { metrics, logger: createLogger('silent') },
  );
});
afterAll(async () => {
  await chain.close();
  await Promise.all(upstreams.map((u) => u.close()));
});

describe('last resort', () => {
  it('tries a provider whose breaker is open when every breaker is open, and serves its answer', async () => {
    for (const p of chain.providers) p.httpBreaker.forceOpen('test');
    const answer = await executeRequest(chain, 'eth_getBalance', ['0x0000000000000000000000000000000000000001', '0x64'], { strategy: 'best', deadline: Date.now() + 5000, useCache: false }, 'http', deps);
    expect(answer.outcome).toBe('success');
    expect(answer.attempts).toBe(1);
    expect(chain.provider(answer.providerId!)!.httpBreaker.state).toBe('half_open');
  });
});
