/**
 * A tiny seeded pseudo-random number generator (mulberry32). Chaos decisions (fault
 * probabilities, jitter) draw from one of these so that a run can be replayed exactly from
 * its seed; `Math.random` would make a failing chaos test impossible to reproduce.
 */
export interface Prng {
  /** The seed this generator started from (report it so a run can be replayed). */
  readonly seed: number;
  /** Next float in [0, 1). */
  next(): number;
  /** Next integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
}

/** Creates a mulberry32 generator. Without a seed, one is drawn from `Math.random` and exposed as `.seed`. */
export function createPrng(seed?: number): Prng {
  const start = seed === undefined ? randomSeed() : seed >>> 0;
  let state = start;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed: start,
    next,
    nextInt: (maxExclusive) => Math.floor(next() * maxExclusive),
  };
}

function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
