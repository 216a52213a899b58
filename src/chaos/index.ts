// Public entry point of `lasso-rpc/chaos`: the fault-injection toolkit users run in their own tests.
export * from './fault-proxy/index.js';
export { startStaticUpstream } from './static-upstream.js';
export type { StaticHandler, StaticReply, StaticUpstream, StaticUpstreamOptions } from './static-upstream.js';
export { createPrng } from './prng.js';
export type { Prng } from './prng.js';
export * from './scenario/index.js';
export * from './workload/index.js';
export * from './checker/index.js';
