import type { BattleArm } from './types.js';

/** Lasso itself: the scenario's own target (undici to Lasso's HTTP endpoint) and its WebSocket subscribers. */
export const lassoArm: BattleArm = {
  id: 'lasso',
  title: 'Lasso',
  describe: () => "Lasso over HTTP (one URL, the chain's default strategy) and its WebSocket front for subscriptions; the scenario's own probes.",
  async create() {
    return { close: async () => undefined };
  },
};
