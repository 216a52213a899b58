/**
 * Where a filter stands on the chain, and how it moves: the recent blocks it already delivered
 * (number + hash, for log filters with the logs it delivered from them) and the step from there to
 * the current head over the canonical chain. A filter keeps nothing else, so any replica can
 * compute its next changes from this state alone.
 */

/** A canonical block's identity and its link to the parent. */
export interface BlockLink {
  number: number;
  /** Lowercased. */
  hash: string;
  /** Lowercased. */
  parentHash: string;
}

/** A block the filter delivered (or anchored on). */
export interface DeliveredBlock {
  number: number;
  hash: string;
  /** Log filters: the logs delivered from this block, re-sent with `removed: true` if it is orphaned. */
  logs?: Record<string, unknown>[];
}

/** The canonical chain as the filter reads it. */
export interface CanonicalSource {
  /** The canonical block at this height; null when the provider that answered does not have it yet. Throws when none answered. */
  block(number: number): Promise<BlockLink | null>;
  /** The hash the chain view already knows at this height, without a read; undefined when it knows none. */
  knownHash(number: number): string | undefined;
}

export interface CursorStepOptions {
  /** Most blocks added in one step (the rest come with the next poll). */
  maxBlocks: number;
  /** Blocks read at once while moving forward. */
  readConcurrency: number;
}

export interface CursorStep {
  /** Delivered blocks that left the canonical chain, oldest first. */
  orphaned: DeliveredBlock[];
  /** New canonical blocks, oldest first, each the child of the one before (the first of the last kept block). */
  added: BlockLink[];
  /** Delivered blocks still canonical (the window up to the fork point). */
  kept: DeliveredBlock[];
}

/**
 * One step from `window` (delivered blocks, oldest first, contiguous, never empty) towards `head`.
 * A reorg shows as a new block whose parent is not the last delivered one, or a different hash at
 * the last delivered height: the fork point is then the highest delivered block that is still
 * canonical, and everything above it is orphaned. A reorg deeper than the window orphans the whole
 * window and restarts from its oldest height. Reads that fail or come back empty end the step
 * early: what was linked so far is returned and the next poll continues from there.
 */
export async function stepCursor(window: readonly DeliveredBlock[], head: number, source: CanonicalSource, options: CursorStepOptions): Promise<CursorStep> {
  const tip = window.at(-1);
  if (tip === undefined) throw new RangeError('a filter cursor always holds at least one block');
  const unchanged: CursorStep = { orphaned: [], added: [], kept: [...window] };
  let forkIndex = window.length - 1;
  let linkedNext: BlockLink | undefined;
  if (head <= tip.number) {
    // Nothing new above the tip: a read is only needed when the view does not vouch for the tip.
    if (source.knownHash(tip.number) === tip.hash) return unchanged;
    const now = await readOrNull(source, tip.number);
    if (now === null || now.hash === tip.hash) return unchanged;
    forkIndex = await findFork(window, source);
  } else {
    const next = await readOrNull(source, tip.number + 1);
    if (next === null) return unchanged;
    if (next.parentHash === tip.hash) linkedNext = next;
    else forkIndex = await findFork(window, source);
  }
  if (forkIndex === FORK_UNKNOWN) return unchanged;
  const kept = window.slice(0, forkIndex + 1);
  const from = forkIndex >= 0 ? (window[forkIndex] as DeliveredBlock).number + 1 : (window[0] as DeliveredBlock).number;
  const to = Math.min(head, from + options.maxBlocks - 1);
  const added = linkedNext === undefined ? [] : [linkedNext];
  const readFrom = from + added.length;
  if (readFrom <= to) added.push(...(await readLinked(source, readFrom, to, added.at(-1)?.hash ?? kept.at(-1)?.hash, options.readConcurrency)));
  // A whole window orphaned with nothing to replace it yet: keep it until the new branch can be read.
  if (kept.length === 0 && added.length === 0) return unchanged;
  return { orphaned: window.slice(forkIndex + 1), added, kept };
}

/** The fork point could not be found this time (a read failed). */
const FORK_UNKNOWN = -2;

/** Index of the highest delivered block that is still canonical; -1 when none in the window is. */
async function findFork(window: readonly DeliveredBlock[], source: CanonicalSource): Promise<number> {
  for (let i = window.length - 1; i >= 0; i--) {
    const delivered = window[i] as DeliveredBlock;
    const now = await readOrNull(source, delivered.number);
    if (now === null) return FORK_UNKNOWN;
    if (now.hash === delivered.hash) return i;
  }
  return -1;
}

/** Canonical blocks `from..to`, read a few at a time, cut at the first one that is missing or does not link. */
async function readLinked(source: CanonicalSource, from: number, to: number, parentHash: string | undefined, concurrency: number): Promise<BlockLink[]> {
  const out: BlockLink[] = [];
  let parent = parentHash;
  for (let start = from; start <= to; start += concurrency) {
    const heights: number[] = [];
    for (let n = start; n <= Math.min(to, start + concurrency - 1); n++) heights.push(n);
    const blocks = await Promise.all(heights.map((n) => readOrNull(source, n)));
    for (const block of blocks) {
      if (block === null || (parent !== undefined && block.parentHash !== parent)) return out;
      out.push(block);
      parent = block.hash;
    }
  }
  return out;
}

async function readOrNull(source: CanonicalSource, number: number): Promise<BlockLink | null> {
  try {
    return await source.block(number);
  } catch {
    // No provider answered: the next poll tries again from the same place.
    return null;
  }
}

/**
 * The window after a step: kept + added (with their logs), bounded to `maxBlocks` and to blocks
 * above `finalized` (a finalized block cannot be orphaned), always keeping the tip.
 */
export function nextWindow(kept: readonly DeliveredBlock[], added: readonly DeliveredBlock[], maxBlocks: number, finalized: number | undefined): DeliveredBlock[] {
  const all = [...kept, ...added];
  let start = Math.max(0, all.length - maxBlocks);
  while (start < all.length - 1 && finalized !== undefined && (all[start] as DeliveredBlock).number <= finalized) start++;
  return all.slice(start);
}

/**
 * Bounds the logs a window remembers for retraction: the newest blocks keep theirs up to `maxLogs`
 * in all, older blocks keep only their hash (a reorg that orphans them cannot re-send their logs).
 */
export function capRememberedLogs(window: readonly DeliveredBlock[], maxLogs: number): DeliveredBlock[] {
  let remembered = 0;
  let full = false;
  const out = [...window];
  for (let i = out.length - 1; i >= 0; i--) {
    const block = out[i] as DeliveredBlock;
    if (block.logs === undefined) continue;
    full ||= remembered + block.logs.length > maxLogs;
    if (full) out[i] = { number: block.number, hash: block.hash };
    else remembered += block.logs.length;
  }
  return out;
}
