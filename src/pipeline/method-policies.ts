import { methodPolicy } from '../jsonrpc/method-policy.js';
import type { MethodPolicy } from '../jsonrpc/method-policy.js';

/** Most method names remembered per variant: names come from clients, so unknown ones must not grow it. */
const MAX_REMEMBERED_METHODS = 1024;

/**
 * One chain's method policies, computed once per method: a policy takes a dozen set and prefix
 * lookups, and every request asks for one. Policies are shared between requests and never changed.
 */
export class MethodPolicies {
  /** By variant: HTTP without / with filters, then WebSocket without / with filters. */
  private readonly remembered: Map<string, MethodPolicy>[] = [new Map(), new Map(), new Map(), new Map()];

  constructor(private readonly timeoutOverridesMs: Readonly<Record<string, number>>) {}

  of(method: string, transport: 'http' | 'ws', filters: boolean): MethodPolicy {
    const remembered = this.remembered[(transport === 'ws' ? 2 : 0) + (filters ? 1 : 0)] as Map<string, MethodPolicy>;
    let policy = remembered.get(method);
    if (policy === undefined) {
      policy = methodPolicy(method, { timeoutOverridesMs: this.timeoutOverridesMs, transport, filters });
      if (remembered.size < MAX_REMEMBERED_METHODS) remembered.set(method, policy);
    }
    return policy;
  }
}
