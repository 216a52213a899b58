import type { Duplex } from 'node:stream';

/**
 * Sockets held open by `hang` rules, by rule id. They are destroyed when their rule goes away
 * (removed, replaced, cleared) or the proxy closes, so a hang never outlives its cause.
 */
export class HungRegistry {
  private readonly byRule = new Map<string, Set<Duplex>>();

  add(ruleId: string, socket: Duplex): void {
    let set = this.byRule.get(ruleId);
    if (!set) this.byRule.set(ruleId, (set = new Set()));
    set.add(socket);
    socket.once('close', () => set.delete(socket));
  }

  /** Destroys the sockets of rules not in `keep`. */
  releaseExcept(keep: ReadonlySet<string>): void {
    for (const [ruleId, set] of this.byRule) {
      if (keep.has(ruleId)) continue;
      for (const socket of set) socket.destroy();
      this.byRule.delete(ruleId);
    }
  }

  releaseAll(): void {
    this.releaseExcept(new Set());
  }

  get size(): number {
    let n = 0;
    for (const set of this.byRule.values()) n += set.size;
    return n;
  }
}
