/**
 * Well-known chains usable as `preset: <name>` in a chain's config: the chainId, a poll interval
 * from the block time, and public endpoints used when the chain lists no providers of its own.
 * The endpoints are public services that were NOT verified from here (this machine cannot reach
 * them): for production, list your own providers, which replace them. Anything set in the config
 * wins over the preset; finality and heads still come from what the providers answer.
 */

export interface ChainPreset {
  chainId: number;
  /** Typical block time, in ms. */
  blockTimeMs: number;
  /** Public endpoints, not verified from here. */
  publicEndpoints: ReadonlyArray<{ id: string; url: string; wsUrl?: string }>;
}

export const CHAIN_PRESETS = {
  ethereum: {
    chainId: 1,
    blockTimeMs: 12_000,
    publicEndpoints: [
      { id: 'publicnode', url: 'https://ethereum-rpc.publicnode.com', wsUrl: 'wss://ethereum-rpc.publicnode.com' },
      { id: 'llamarpc', url: 'https://eth.llamarpc.com' },
    ],
  },
  sepolia: {
    chainId: 11_155_111,
    blockTimeMs: 12_000,
    publicEndpoints: [{ id: 'publicnode', url: 'https://ethereum-sepolia-rpc.publicnode.com', wsUrl: 'wss://ethereum-sepolia-rpc.publicnode.com' }],
  },
  base: {
    chainId: 8453,
    blockTimeMs: 2000,
    publicEndpoints: [
      { id: 'base-org', url: 'https://mainnet.base.org' },
      { id: 'publicnode', url: 'https://base-rpc.publicnode.com', wsUrl: 'wss://base-rpc.publicnode.com' },
    ],
  },
  optimism: {
    chainId: 10,
    blockTimeMs: 2000,
    publicEndpoints: [
      { id: 'optimism-io', url: 'https://mainnet.optimism.io' },
      { id: 'publicnode', url: 'https://optimism-rpc.publicnode.com', wsUrl: 'wss://optimism-rpc.publicnode.com' },
    ],
  },
  arbitrum: {
    chainId: 42_161,
    blockTimeMs: 250,
    publicEndpoints: [
      { id: 'arbitrum-io', url: 'https://arb1.arbitrum.io/rpc' },
      { id: 'publicnode', url: 'https://arbitrum-one-rpc.publicnode.com', wsUrl: 'wss://arbitrum-one-rpc.publicnode.com' },
    ],
  },
  polygon: {
    chainId: 137,
    blockTimeMs: 2000,
    publicEndpoints: [{ id: 'publicnode', url: 'https://polygon-bor-rpc.publicnode.com', wsUrl: 'wss://polygon-bor-rpc.publicnode.com' }],
  },
} as const satisfies Record<string, ChainPreset>;

export type ChainPresetName = keyof typeof CHAIN_PRESETS;
export const CHAIN_PRESET_NAMES = Object.keys(CHAIN_PRESETS) as ChainPresetName[];

/** Fills a raw chain entry from its preset; keys the entry sets itself are kept. Unknown presets pass through (the schema reports them). */
export function applyChainPreset(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const entry = raw as Record<string, unknown>;
  const name = entry.preset;
  if (typeof name !== 'string' || !Object.hasOwn(CHAIN_PRESETS, name)) return raw;
  const preset: ChainPreset = CHAIN_PRESETS[name as ChainPresetName];
  return {
    chainId: preset.chainId,
    headPollIntervalMs: Math.min(2000, Math.max(250, Math.round(preset.blockTimeMs / 2))),
    providers: preset.publicEndpoints.map((e) => ({ ...e })),
    ...entry,
  };
}
