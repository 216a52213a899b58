import type { MethodPolicy } from '../jsonrpc/method-policy.js';
import type { ChainRuntime } from '../providers/chain-runtime.js';
import type { ProviderRuntime } from '../providers/provider.js';
import { breakerVerdict, classifyOutcome, shouldFailover } from '../resilience/index.js';
import type { BreakerPermit, CapabilityContext, Classification } from '../resilience/index.js';
import type { UpstreamCall } from '../transport/http-upstream.js';
import type { AttemptOutcome, ResultOutcome } from '../transport/outcome.js';
import { describeOutcome } from '../transport/outcome.js';
import { attemptTimeoutMs, hedgeDelayMs } from './attempt-timing.js';
import type { BlockTarget } from './block-target.js';
import type { ChainPipelineState } from './chain-state.js';
import { isAnsweredBlock, isEmptyAnswer, nullVerdict } from './null-answers.js';
import type { ExecuteDeps } from './types.js';

export interface AttemptResult {
  /** Order of launch: 0 is the first attempt, higher ones are failovers or hedges. */
  index: number;
  provider: ProviderRuntime;
  outcome: AttemptOutcome;
  classification: Classification | null;
}

export interface AttemptRaceRequest {
  method: string;
  /** Metric label for the method (bounded cardinality). */
  methodLabel: string;
  params: unknown;
  policy: MethodPolicy;
  /** Absolute deadline (ms since epoch). */
  deadline: number;
  maxAttempts: number;
  /** Hedging allowed for this request (replay-safe, not pinned, enabled for the method). */
  hedgeable: boolean;
  /** eth_getLogs block span, for capability memory. */
  rangeSize: number | undefined;
  /** The block the request reads, to judge null answers. */
  target: BlockTarget;
  /** The client's `x-lasso-request-id`, for the logs. */
  requestId: string | undefined;
}

/** How a race ended. */
export type RaceVerdict =
  /** A provider answered with a result. */
  | { kind: 'answer'; attempt: AttemptResult }
  /** Only null (or empty) answers that may not be final, and nothing better: `propagating` ones are worth another round. */
  | { kind: 'null'; attempt: AttemptResult; propagating: boolean; failed: AttemptResult | undefined }
  /** A failure that must not be retried (a deterministic error, a write that may have left). */
  | { kind: 'final_failure'; attempt: AttemptResult }
  /**
   * Every allowed candidate failed (`last` undefined when none could be tried). `propagating`: some
   * said they do not have a block the chain already has, which they are likely still importing.
   */
  | { kind: 'exhausted'; last: AttemptResult | undefined; rateLimitedRetryAfterMs: number | undefined; propagating: boolean };

/**
 * The attempts of one request on its ordered candidates: breaker admission, learned attempt
 * timeouts, failover on retryable failures, and hedging (a read not answered within the hedge
 * delay also goes to the next candidate; the first good answer wins). State that the final answer
 * needs (last failure, rate-limit hints) is kept here for the caller.
 */
export class AttemptRace {
  attempts = 0;
  hedged = false;

  /** Attempts dispatched and not yet settled. */
  private running = 0;
  /** Settled attempts that run() has not looked at yet. */
  private readonly settledQueue: RaceEvent[] = [];
  /** Resolves run()'s current wait, when it is waiting. */
  private waiter: ((event: RaceEvent) => void) | undefined;
  private hedgeTimer: NodeJS.Timeout | undefined;
  private nextCandidate = 0;
  private attemptsBudget: number;
  private hedgeable: boolean;
  private lastLaunched: ProviderRuntime | undefined;
  private lastFailure: AttemptResult | undefined;
  private nullAnswer: { attempt: AttemptResult; propagating: boolean } | undefined;
  /** Shortest cooldown among rate-limited attempts, while every failure was a rate limit. */
  private rateLimitedRetryAfterMs: number | undefined;
  private onlyRateLimits = true;
  /** A candidate said it does not have the block, which is at or below the head Lasso has answered with. */
  private blockPropagating = false;
  private readonly onSettled = (result: AttemptResult): void => {
    this.running--;
    this.deliver(result);
  };
  private readonly onAttemptBug = (error: unknown): void => {
    this.running--;
    this.deliver(new AttemptBug(error));
  };

  constructor(
    private readonly chain: ChainRuntime,
    private readonly state: ChainPipelineState,
    private readonly candidates: readonly ProviderRuntime[],
    private readonly request: AttemptRaceRequest,
    private readonly deps: ExecuteDeps,
  ) {
    this.attemptsBudget = request.maxAttempts;
    this.hedgeable = request.hedgeable;
  }

  /** Runs attempts until one answers, or every allowed candidate has failed, or a failure must not be retried. */
  async run(): Promise<RaceVerdict> {
    this.launch();
    while (this.running > 0 || this.settledQueue.length > 0) {
      const first = this.settledQueue.shift() ?? (await this.nextEvent());
      if (first instanceof AttemptBug) throw first.error;
      if (first === 'hedge') {
        if (!this.state.hedgeBudget.trySpend()) this.hedgeable = false;
        else if (this.launch()) {
          this.hedged = true;
          this.deps.metrics.hedges.inc({ chain: this.chain.name, method: this.request.methodLabel });
        }
        continue;
      }
      const { provider, outcome, classification } = first;
      if (classification === null) {
        const verdict = isEmptyAnswer(this.request.method, (outcome as ResultOutcome).bytes) ? nullVerdict(this.request.method, this.request.target, provider, this.chain.view) : 'final';
        if (verdict !== 'final') {
          // A provider that has not synced as far as the chain, or a block still propagating:
          // ask the next candidate before answering null.
          this.deps.metrics.notFinalNulls.inc({ chain: this.chain.name, method: this.request.methodLabel });
          if (this.nullAnswer === undefined || verdict === 'propagating') this.nullAnswer = { attempt: first, propagating: verdict === 'propagating' };
          if (this.running === 0) this.launch();
          continue;
        }
        // Attempts still running are left to finish (bounded by their own timeout) and only their
        // answers are dropped: aborting would destroy a pooled connection, and their outcome is the
        // evidence that opens a hung provider's breaker.
        if (this.hedged && first.index > 0) this.deps.metrics.hedgesWon.inc({ chain: this.chain.name, method: this.request.methodLabel });
        return { kind: 'answer', attempt: first };
      }
      this.noteFailure(first, classification);
      if (!shouldFailover(classification, this.request.policy.replaySafe, outcome)) return { kind: 'final_failure', attempt: first };
      // Only a failure that another attempt follows is a failover; the last one is the caller's to report.
      if (this.running === 0 && !this.launch()) continue;
      this.deps.metrics.failovers.inc({ chain: this.chain.name, method: this.request.methodLabel, from_provider: provider.id, reason: classification.errorClass });
      this.deps.logger.info(
        { requestId: this.request.requestId, chain: this.chain.name, method: this.request.method, provider: provider.id, errorClass: classification.errorClass, cause: describeOutcome(outcome) },
        'failover',
      );
      this.chain.events.emit({ type: 'failover', chain: this.chain.name, provider: provider.id, method: this.request.methodLabel, errorClass: classification.errorClass, reason: classification.reason });
    }
    if (this.nullAnswer !== undefined) return { kind: 'null', ...this.nullAnswer, failed: this.lastFailure };
    return { kind: 'exhausted', last: this.lastFailure, rateLimitedRetryAfterMs: this.onlyRateLimits ? this.rateLimitedRetryAfterMs : undefined, propagating: this.blockPropagating };
  }

  /** Makes every candidate eligible again for one more round (used after all said "null"). */
  allowAnotherRound(): void {
    this.nextCandidate = 0;
    this.attemptsBudget = this.attempts + this.request.maxAttempts;
  }

  private noteFailure(result: AttemptResult, classification: Classification): void {
    this.lastFailure = result;
    if (classification.capabilityKind === 'block_unavailable' && isAnsweredBlock(this.request.target, this.chain.view)) this.blockPropagating = true;
    if (classification.errorClass === 'rate_limit') {
      const cooldownMs = result.provider.cooldown.remainingMs();
      this.rateLimitedRetryAfterMs = this.rateLimitedRetryAfterMs === undefined ? cooldownMs : Math.min(this.rateLimitedRetryAfterMs, cooldownMs);
    } else {
      this.onlyRateLimits = false;
    }
  }

  /**
   * Waits for the next attempt to settle or, when a hedge is possible, for the hedge delay of the
   * latest attempt to pass ('hedge'), whichever comes first.
   */
  private nextEvent(): Promise<RaceEvent> {
    if (this.hedgeable && this.lastLaunched && this.hasCandidatesLeft()) {
      const ids = this.candidates.map((c) => c.id);
      const delay = hedgeDelayMs(this.chain.config, this.chain.evidence, this.lastLaunched.id, this.request.method, ids);
      this.hedgeTimer = setTimeout(() => this.deliver('hedge'), delay);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  private deliver(event: RaceEvent): void {
    const waiter = this.waiter;
    if (waiter === undefined) {
      if (event !== 'hedge') this.settledQueue.push(event);
      return;
    }
    this.waiter = undefined;
    clearTimeout(this.hedgeTimer);
    this.hedgeTimer = undefined;
    waiter(event);
  }

  private hasCandidatesLeft(): boolean {
    return this.nextCandidate < this.candidates.length && this.attempts < this.attemptsBudget;
  }

  /**
   * Starts an attempt on the next admitted candidate; false when none is left. When every
   * candidate's breaker refused and nothing was tried for this request, the first refused one is
   * tried anyway (a last-resort permit): failing the request untried helps nobody.
   */
  private launch(): boolean {
    const { chain, request, deps } = this;
    let refused: ProviderRuntime | undefined;
    while (this.hasCandidatesLeft() || (refused !== undefined && this.attempts === 0)) {
      const lastResort = !this.hasCandidatesLeft();
      const provider = lastResort ? (refused as ProviderRuntime) : (this.candidates[this.nextCandidate++] as ProviderRuntime);
      const remainingMs = request.deadline - chain.now();
      if (remainingMs <= 0) return false;
      const permit = lastResort ? provider.httpBreaker.acquireLastResort() : provider.httpBreaker.tryAcquire();
      if (!permit) {
        refused ??= provider; // half-open probe already in flight, or open
        continue;
      }
      // The learned first-byte timeout only serves to move on to another provider sooner. Not
      // applied when no other candidate is left (cutting the attempt short would turn a slow
      // answer into an error, and a brief hiccup of a chain's only provider into an open breaker),
      // nor while every pooled connection is busy (the attempt first waits in undici's queue,
      // which says nothing about the provider): then only the fixed method timeout applies.
      const alternativeLeft = this.nextCandidate < this.candidates.length && this.attempts + 1 < this.attemptsBudget;
      const queued = provider.inFlight >= provider.config.maxConcurrent;
      const timeoutMs = Math.min(request.policy.timeoutMs, remainingMs);
      const learnedMs = alternativeLeft && !queued ? attemptTimeoutMs(chain.config, chain.evidence, provider.id, request.method, deps.loopLag.lagMs()) : undefined;
      const index = this.attempts++;
      this.running++;
      const call = { method: request.method, params: request.params, timeoutMs, firstByteTimeoutMs: learnedMs };
      runAttempt(chain, provider, permit, request, call, deps, index).then(this.onSettled, this.onAttemptBug);
      this.lastLaunched = provider;
      return true;
    }
    return false;
  }
}

/** An attempt's own bookkeeping threw (a Lasso bug): run() rethrows it. */
class AttemptBug {
  constructor(readonly error: unknown) {}
}

type RaceEvent = AttemptResult | 'hedge' | AttemptBug;

/** One dispatch to one provider, with all its bookkeeping (breaker, evidence, cooldown, metrics), even when it finishes after the request was answered. */
async function runAttempt(
  chain: ChainRuntime,
  provider: ProviderRuntime,
  permit: BreakerPermit,
  request: AttemptRaceRequest,
  call: UpstreamCall,
  deps: ExecuteDeps,
  index: number,
): Promise<AttemptResult> {
  const { method, methodLabel } = request;
  const startedAt = performance.now();
  provider.inFlight++;
  const outcome = await provider.http.send(call);
  provider.inFlight--;
  const latencyMs = performance.now() - startedAt;
  const classification = classifyOutcome(outcome, method);
  if (classification === null) {
    provider.httpBreaker.recordSuccess(permit);
    chain.evidence.recordSuccess(provider.id, method, latencyMs);
    deps.metrics.recordAttempt(chain.name, provider.id, 'http', methodLabel, 'success', latencyMs / 1000);
    const received = (outcome as ResultOutcome).received;
    if (received) deps.metrics.recordUpstreamBytes(chain.name, methodLabel, received.wireBytes, received.bodyBytes);
  } else {
    deps.metrics.recordAttempt(chain.name, provider.id, 'http', methodLabel, classification.cancelled ? 'cancelled' : classification.errorClass, latencyMs / 1000);
    const blockNumber = request.target.kind === 'number' ? request.target.number : undefined;
    recordFailureEvidence(chain, provider, permit, method, classification, { rangeSize: request.rangeSize, blockNumber, providerHead: provider.head.number }, deps);
  }
  return { index, provider, outcome, classification };
}

function recordFailureEvidence(
  chain: ChainRuntime,
  provider: ProviderRuntime,
  permit: BreakerPermit,
  method: string,
  classification: Classification,
  context: CapabilityContext,
  deps: ExecuteDeps,
): void {
  const verdict = breakerVerdict(classification);
  if (verdict === 'failure') provider.httpBreaker.recordFailure(permit, classification.breakerKind ?? 'other');
  else if (verdict === 'success') provider.httpBreaker.recordSuccess(permit); // answered correctly; the request was at fault
  else provider.httpBreaker.release(permit);

  if (classification.errorClass === 'provider_failure') chain.evidence.recordFailure(provider.id, method);
  if (classification.errorClass === 'rate_limit') {
    chain.events.emit({ type: 'cooldown', chain: chain.name, provider: provider.id, until: provider.cooldown.coolDown(classification.retryAfterMs) });
    deps.metrics.rateLimited.inc({ chain: chain.name, provider: provider.id });
  }
  if (classification.errorClass === 'capability') chain.capabilities.record(provider.id, method, classification, context);
}
