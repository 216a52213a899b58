import type { ChainRuntime } from '../providers/chain-runtime.js';
import { Coalescer } from '../resilience/coalescer.js';
import { HedgeBudget } from '../resilience/hedge-budget.js';
import { MethodPolicies } from './method-policies.js';
import type { RoutedResponse } from './types.js';
import { WriteTracker } from './write-tracker.js';

/** What the pipeline keeps per chain between requests. */
export interface ChainPipelineState {
  /** Identical in-flight reads share one upstream execution. */
  readonly coalescer: Coalescer<RoutedResponse>;
  /** Caps hedged attempts at a fraction of the chain's requests. */
  readonly hedgeBudget: HedgeBudget;
  /** Transactions sent through Lasso, so that reads of their effects go where they are visible. */
  readonly writes: WriteTracker;
  readonly policies: MethodPolicies;
}

const states = new WeakMap<ChainRuntime, ChainPipelineState>();

/** The pipeline state of a chain, made on first use (it lives as long as the chain runtime). */
export function pipelineStateOf(chain: ChainRuntime): ChainPipelineState {
  let state = states.get(chain);
  if (state === undefined) {
    state = {
      coalescer: new Coalescer<RoutedResponse>(),
      hedgeBudget: new HedgeBudget(chain.config.hedging.maxExtraLoad, chain.config.hedging.burst),
      writes: new WriteTracker(chain.now),
      policies: new MethodPolicies(chain.config.methodTimeoutsMs),
    };
    states.set(chain, state);
  }
  return state;
}
