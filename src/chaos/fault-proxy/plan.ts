import type { Prng } from '../prng.js';
import { idKey, type CallInfo } from './jsonrpc-body.js';
import {
  isNotificationFault,
  isRequestFault,
  requestFaultAppliesTo,
  ruleMethods,
  type FaultRule,
  type FaultTransport,
  type LatencyFault,
  type NotificationFault,
  type RequestFault,
} from './rules.js';

/** A rule installed on a proxy, with its identity and how often it fired. */
export interface ActiveRule<R extends FaultRule = FaultRule> {
  readonly id: string;
  readonly rule: R;
  applied: number;
}

/** The request-level faults that decide what the answer is (everything but latency). */
export type TerminalFault = Exclude<RequestFault, LatencyFault>;

/** What to do with one request (HTTP) or request message (WS). */
export interface RequestPlan {
  /** Sum of every matching latency rule (with jitter). */
  delayMs: number;
  /** The first matching non-latency rule, in rule order; absent means "forward as is". */
  terminal?: ActiveRule<TerminalFault>;
}

/** What to do with one subscription notification. */
export interface NotificationPlan {
  drop: boolean;
  delayMs: number;
}

const NO_FAULT: RequestPlan = Object.freeze({ delayMs: 0 });
const PASS_NOTIFICATION: NotificationPlan = Object.freeze({ drop: false, delayMs: 0 });

/** Whether a method-scoped rule covers this method (unscoped rules cover everything). */
export function ruleCoversMethod(rule: RequestFault, method: string | undefined): boolean {
  const methods = ruleMethods(rule);
  if (methods === undefined) return true;
  return method !== undefined && methods.includes(method);
}

/** Keys ({@link idKey}) of the calls a method-scoped rule covers; undefined when it covers every call. */
export function coveredCallKeys(rule: RequestFault, calls: readonly CallInfo[] | undefined): ReadonlySet<string> | undefined {
  if (ruleMethods(rule) === undefined || calls === undefined) return undefined;
  return new Set(calls.filter((c) => ruleCoversMethod(rule, c.method)).map((c) => idKey(c.id)));
}

/**
 * The installed rules, pre-split by what they act on, and the single place where probabilities
 * are drawn. Evaluation order is rule order: every matching `latency` adds up, the first matching
 * other request rule wins and later ones are not evaluated (no PRNG draw), so a seed plus the
 * same sequence of requests gives the same sequence of faults.
 */
export class RuleBook {
  private all: ActiveRule[] = [];
  private http: ActiveRule<RequestFault>[] = [];
  private ws: ActiveRule<RequestFault>[] = [];
  private notifications: ActiveRule<NotificationFault>[] = [];
  private httpNeedsMethods = false;
  private wsNeedsMethods = false;

  constructor(
    private readonly rng: Prng,
    private readonly onApplied: (rule: ActiveRule) => void,
  ) {}

  get rules(): readonly ActiveRule[] {
    return this.all;
  }

  replace(rules: ActiveRule[]): void {
    this.all = rules;
    const requestRules = rules.filter((r): r is ActiveRule<RequestFault> => isRequestFault(r.rule));
    this.http = requestRules.filter((r) => requestFaultAppliesTo(r.rule, 'http'));
    this.ws = requestRules.filter((r) => requestFaultAppliesTo(r.rule, 'ws'));
    this.notifications = rules.filter((r): r is ActiveRule<NotificationFault> => isNotificationFault(r.rule));
    this.httpNeedsMethods = this.http.some((r) => ruleMethods(r.rule) !== undefined);
    this.wsNeedsMethods = this.ws.some((r) => ruleMethods(r.rule) !== undefined);
  }

  has(type: FaultRule['type']): boolean {
    return this.all.some((r) => r.rule.type === type);
  }

  /** True when a request on this transport can be forwarded without looking at it. */
  isQuiet(transport: FaultTransport): boolean {
    return (transport === 'http' ? this.http : this.ws).length === 0;
  }

  /** True when some rule on this transport is scoped to methods (so the body must be parsed). */
  needsMethods(transport: FaultTransport): boolean {
    return transport === 'http' ? this.httpNeedsMethods : this.wsNeedsMethods;
  }

  hasNotificationRules(): boolean {
    return this.notifications.length > 0;
  }

  /**
   * Decides the fate of one request. `methods` is called at most once, only when a rule is
   * method-scoped; it returns the request's methods (one per batch item) or undefined for a
   * body that is not JSON-RPC.
   */
  planRequest(transport: FaultTransport, methods: () => readonly string[] | undefined): RequestPlan {
    const rules = transport === 'http' ? this.http : this.ws;
    if (rules.length === 0) return NO_FAULT;
    let cached: readonly string[] | undefined | null = null;
    const methodList = (): readonly string[] | undefined => (cached === null ? (cached = methods()) : cached);

    let delayMs = 0;
    let terminal: ActiveRule<TerminalFault> | undefined;
    for (const active of rules) {
      const rule = active.rule;
      if (rule.type !== 'latency' && terminal !== undefined) continue;
      const scope = ruleMethods(rule);
      if (scope !== undefined) {
        const list = methodList();
        if (list === undefined || !list.some((m) => scope.includes(m))) continue;
      }
      if (!this.draw(rule.probability)) continue;
      // A range cap only counts the requests it refuses, which the side handling it knows.
      if (rule.type !== 'logs_range_cap') this.fire(active);
      if (rule.type === 'latency') delayMs += rule.ms + this.jitter(rule.jitterMs);
      else terminal = active as ActiveRule<TerminalFault>;
    }
    if (delayMs === 0 && terminal === undefined) return NO_FAULT;
    return terminal === undefined ? { delayMs } : { delayMs, terminal };
  }

  /** Decides the fate of one subscription notification: `ws_stall` first (drop), then `ws_delay` (sum). */
  planNotification(): NotificationPlan {
    if (this.notifications.length === 0) return PASS_NOTIFICATION;
    let delayMs = 0;
    for (const active of this.notifications) {
      const rule = active.rule;
      if (!this.draw(rule.probability)) continue;
      this.fire(active);
      if (rule.type === 'ws_stall') return { drop: true, delayMs: 0 };
      delayMs += rule.ms + this.jitter(rule.jitterMs);
    }
    return delayMs === 0 ? PASS_NOTIFICATION : { drop: false, delayMs };
  }

  /** Counts a rule that fired after planning (a `logs_range_cap` that refused a request). */
  countApplied(active: ActiveRule): void {
    this.fire(active);
  }

  /** Counts a state fault (refuse / ws_drop) firing, e.g. one dropped connection or refused upgrade. */
  recordStateFault(type: 'refuse' | 'ws_drop'): void {
    const active = this.all.find((r) => r.rule.type === type);
    if (active) this.fire(active);
  }

  private fire(active: ActiveRule): void {
    active.applied++;
    this.onApplied(active);
  }

  private draw(probability: number | undefined): boolean {
    // Certain rules draw nothing, so adding a probability-1 rule does not shift other rules' sequences.
    if (probability === undefined || probability >= 1) return true;
    if (probability <= 0) return false;
    return this.rng.next() < probability;
  }

  private jitter(jitterMs: number | undefined): number {
    return jitterMs ? Math.floor(this.rng.next() * jitterMs) : 0;
  }
}
