import { lassoConfigSchema } from './config/index.js';
import type { LassoConfig } from './config/index.js';
import type { Devnet } from './devnet/index.js';

/** The config `lasso start` uses when no config file exists: every devnet node is a provider of chain "devnet". */
export function embeddedDevnetConfig(devnet: Devnet): LassoConfig {
  return lassoConfigSchema.parse({
    chains: {
      devnet: {
        chainId: devnet.chainId,
        providers: devnet.nodes().map((n, i) => ({ id: n.id, url: n.httpUrl, wsUrl: n.wsUrl, priority: i + 1 })),
      },
    },
  });
}
