import { describe, it } from 'vitest';
import { check, scenario, subscriptionsClean } from '../../../src/chaos/index.js';

/**
 * Resilience scenario 4: a 30 s subscription (5 minutes of chain time at 10x) with the provider holding
 * it killed every 6 s. In its own file so that it runs alongside the shorter scenarios. Skipped on a
 * build without the WebSocket front.
 */
import { cutActive, expectAllChecksPass, holders, noChaosErrors, resultsDir, wsAvailable } from './ws-scenario-helpers.js';

describe.skipIf(!wsAvailable)('long subscription scenario 4', () => {
  it('4) long subscription (5 min of chain time at 10x) with the active provider killed every 60 s of chain time', async () => {
    // 12 s blocks at 10x speed: 1.2 s; 5 minutes of chain time: 30 s; a kill every 60 s of chain time: every 6 s.
    const kills = [6000, 12_000, 18_000, 24_000].flatMap((at) => cutActive(at, 3000, 'kill'));
    const run = await scenario({
      name: '04-long-subscription-kills',
      title: 'Long subscription with the active provider killed every minute (chain time)',
      description:
        '5 minutes of chain time at 10x speed (1.2 s blocks, 30 s), a newHeads and a logs subscriber, light HTTP load. ' +
        'Every 6 s (60 s of chain time) the node carrying the subscriptions is SIGKILLed and restarted 3 s later. The ' +
        'subscriptions never drop and every block and every log is delivered exactly once, in order.',
      seed: 4,
      providers: 3,
      blockTimeMs: 1200,
      subscriptions: [{ kind: 'newHeads' }, { kind: 'logs' }],
      workload: { rate: 5, durationMs: 30_000 },
      chaos: kills,
      resultsDir,
      checks: [
        noChaosErrors,
        subscriptionsClean(),
        check('the subscriptions moved between providers', (ctx) => {
          const h = holders(ctx);
          return { passed: h.length >= 2, measured: h.join(' -> '), expected: '>= 2 providers' };
        }),
      ],
    });
    expectAllChecksPass(run);
  }, 90_000);
});
