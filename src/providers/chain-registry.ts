import type { ChainRuntime } from './chain-runtime.js';

/** Looks chains up by configured name or by decimal chainId, as URLs may use either. */
export class ChainRegistry {
  private readonly byName = new Map<string, ChainRuntime>();
  private readonly byChainId = new Map<number, ChainRuntime>();

  constructor(chains: readonly ChainRuntime[]) {
    for (const c of chains) {
      this.byName.set(c.name, c);
      this.byChainId.set(c.chainId, c);
    }
  }

  resolve(nameOrId: string): ChainRuntime | undefined {
    const byName = this.byName.get(nameOrId);
    if (byName) return byName;
    return /^\d+$/.test(nameOrId) ? this.byChainId.get(Number(nameOrId)) : undefined;
  }

  all(): ChainRuntime[] {
    return [...this.byName.values()];
  }
}
