/**
 * How to cut a range that providers would not serve whole. Driven only by what they refused or
 * what is configured for them: a range nobody refused is never split.
 */

/** How a range is cut: by a provider's limit (`split`) or in halves for want of one (`bisection`). */
export interface Cut {
  kind: 'split' | 'bisection';
  /** Blocks per piece. */
  size: number;
}

/**
 * Widest range some provider that can serve now accepts: undefined when one of them has no known
 * limit (it may take anything). `limits` holds one entry per such provider.
 */
export function widestAccepted(limits: readonly (number | undefined)[]): number | undefined {
  let widest = 0;
  for (const limit of limits) {
    if (limit === undefined) return undefined;
    widest = Math.max(widest, limit);
  }
  return limits.length === 0 ? undefined : widest;
}

/**
 * The cut for a range of `span` blocks that was refused as too wide (or that no provider's known
 * limit admits). Known limits go first: pieces as wide as the most generous provider takes, so the
 * fewest calls are made. Without one, the refusal's own hint (the limit it stated or the range it
 * suggested), else halves. A piece is never more than half the range: with a limit above that,
 * two pieces are needed anyway, and halves are less likely to be refused again.
 */
export function cutForRefusal(span: number, limits: readonly (number | undefined)[], refusalAccepts: number | undefined): Cut | undefined {
  if (span < 2) return undefined;
  const half = Math.ceil(span / 2);
  const widest = widestAccepted(limits);
  if (widest !== undefined && widest < span) return widest < half ? { kind: 'split', size: Math.max(1, widest) } : { kind: 'bisection', size: half };
  if (refusalAccepts !== undefined && refusalAccepts < half) return { kind: 'split', size: Math.max(1, refusalAccepts) };
  return { kind: 'bisection', size: half };
}

/**
 * The cut for a range of `span` blocks that failed for other reasons (its providers down, out of
 * attempts): pieces a narrower provider accepts, which routing can send elsewhere. Undefined when
 * no provider takes a narrower range than this one: then smaller pieces would change nothing.
 */
export function cutForFailure(span: number, limits: readonly (number | undefined)[]): Cut | undefined {
  let narrower: number | undefined;
  for (const limit of limits) if (limit !== undefined && limit >= 1 && limit < span && (narrower === undefined || limit > narrower)) narrower = limit;
  return narrower === undefined ? undefined : { kind: 'split', size: narrower };
}
