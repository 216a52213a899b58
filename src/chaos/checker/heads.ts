import type { Hex } from 'viem';
import type { ReadonlyGroundTruth } from '../../devnet/index.js';

/** One newHeads notification, reduced to what the checker needs. */
export interface DeliveredHead {
  number: number;
  hash: Hex;
  parentHash: Hex;
  /** Arrival time (run-clock ms), when known. */
  tMs?: number;
}

/** Block numbers whose delivery is checked, inclusive. */
export interface BlockWindow {
  from: number;
  to: number;
}

/** A problem with how a reorg reached the client. */
export interface HeadsReorgError {
  kind:
    | 'parent_mismatch' /** a block that does not extend the block the client has at the height below */
    | 'not_from_fork_point' /** a rewind that does not start right above the common ancestor */
    | 'stale_block' /** an orphaned block delivered where the client already had the canonical one */
    | 'not_replaced'; /** an orphaned block the client got and never saw replaced */
  number: number;
  hash: Hex;
  detail: string;
}

/** What both checkers count: what the window should have brought and how much of it arrived. */
export interface DeliveryCounts {
  window: BlockWindow;
  /** Notifications received (all of them, inside the window or not). */
  notifications: number;
  /** Notifications that were not what the subscription sends. */
  malformed: number;
  /** Canonical items (blocks, matching logs) in the window. */
  expected: number;
  /** Of those, the ones delivered. */
  delivered: number;
  /** delivered / expected (1 when nothing was expected). */
  deliveryRatio: number;
}

export function deliveryCounts(window: BlockWindow, received: number, malformed: number, expected: number, missed: number): DeliveryCounts {
  const delivered = expected - missed;
  return { window, notifications: received + malformed, malformed, expected, delivered, deliveryRatio: expected === 0 ? 1 : delivered / expected };
}

export interface NewHeadsReport extends DeliveryCounts {
  /** Canonical block numbers in the window never delivered. */
  missed: number[];
  duplicates: { number: number; hash: Hex; count: number }[];
  /** Deliveries beyond the first of the same hash. */
  duplicateCount: number;
  /** Hashes the devnet never mined. */
  unknown: { number: number; hash: Hex }[];
  /** Deliveries at or below the previous height that were not a correct reorg, or late fills of a gap. */
  outOfOrder: { index: number; number: number; previous: number }[];
  /** Forward jumps (blocks skipped at that moment). */
  gaps: { after: number; next: number }[];
  /** Largest forward jump minus one (blocks skipped at once). */
  maxGapBlocks: number;
  reorgErrors: HeadsReorgError[];
  /** Rewinds that were a correct reorg delivery (new branch from the fork point). */
  reorgsDelivered: number;
  ok: boolean;
}

/** Converts raw newHeads notification results; anything that is not a header counts as malformed. */
export function headsFromNotifications(results: readonly unknown[], times?: readonly number[]): { heads: DeliveredHead[]; malformed: number } {
  const heads: DeliveredHead[] = [];
  let malformed = 0;
  results.forEach((r, i) => {
    const h = r as { number?: unknown; hash?: unknown; parentHash?: unknown } | null;
    if (!h || typeof h.number !== 'string' || typeof h.hash !== 'string' || typeof h.parentHash !== 'string') {
      malformed++;
      return;
    }
    const head: DeliveredHead = { number: Number.parseInt(h.number, 16), hash: h.hash as Hex, parentHash: h.parentHash as Hex };
    const t = times?.[i];
    if (t !== undefined) head.tMs = t;
    heads.push(head);
  });
  return { heads, malformed };
}

/**
 * Compares what a newHeads subscriber received with the devnet's ground truth: every canonical
 * block of the window exactly once, in order, and on a reorg the new branch from the fork point
 * (a rewind to commonAncestor + 1 whose parent is the block the client already has).
 */
export function checkNewHeads(delivered: readonly DeliveredHead[], truth: ReadonlyGroundTruth, window: BlockWindow, malformed = 0): NewHeadsReport {
  const seen = new Map<string, number>();
  const view = new Map<number, Hex>();
  const unknown: NewHeadsReport['unknown'] = [];
  const outOfOrder: NewHeadsReport['outOfOrder'] = [];
  const gaps: NewHeadsReport['gaps'] = [];
  const reorgErrors: HeadsReorgError[] = [];
  let reorgsDelivered = 0;
  let last: number | undefined;

  delivered.forEach((h, index) => {
    const key = h.hash.toLowerCase();
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count > 1) return; // a duplicate changes nothing in the client's view
    const known = truth.findByHash(h.hash);
    if (!known) unknown.push({ number: h.number, hash: h.hash });

    if (last === undefined) {
      view.set(h.number, h.hash);
      last = h.number;
      return;
    }
    if (h.number === last + 1) {
      const below = view.get(last);
      if (below !== undefined && below.toLowerCase() !== h.parentHash.toLowerCase()) {
        reorgErrors.push({ kind: 'parent_mismatch', number: h.number, hash: h.hash, detail: `parent ${h.parentHash} but the client has ${below} at ${last}` });
      }
    } else if (h.number > last + 1) {
      gaps.push({ after: last, next: h.number });
    } else {
      // At or below the last height: a correct reorg, or something out of order.
      const previous = view.get(h.number);
      const ancestor = view.get(h.number - 1);
      const previousOrphaned = previous !== undefined && truth.findByHash(previous)?.canonical === false;
      if (previous === undefined) {
        outOfOrder.push({ index, number: h.number, previous: last }); // a late fill of an earlier gap
      } else if (!previousOrphaned) {
        if (known && !known.canonical) {
          reorgErrors.push({ kind: 'stale_block', number: h.number, hash: h.hash, detail: `orphaned block delivered over canonical ${previous}` });
        } else {
          outOfOrder.push({ index, number: h.number, previous: last });
        }
      } else if (ancestor !== undefined && ancestor.toLowerCase() !== h.parentHash.toLowerCase()) {
        reorgErrors.push({ kind: 'not_from_fork_point', number: h.number, hash: h.hash, detail: `new branch block's parent ${h.parentHash} is not the client's block ${ancestor} at ${h.number - 1}` });
      } else {
        reorgsDelivered++;
      }
      for (const n of [...view.keys()]) if (n > h.number) view.delete(n);
    }
    view.set(h.number, h.hash);
    last = h.number;
  });

  // Orphaned blocks the client still holds at the end were never replaced.
  for (const [number, hash] of view) {
    if (truth.findByHash(hash)?.canonical === false) {
      reorgErrors.push({ kind: 'not_replaced', number, hash, detail: 'the client still has this orphaned block at its height' });
    }
  }

  const missed: number[] = [];
  let expected = 0;
  for (const block of truth.blocks(window.from, window.to)) {
    expected++;
    if (!seen.has(block.hash.toLowerCase())) missed.push(block.number);
  }
  const duplicates: NewHeadsReport['duplicates'] = [];
  let duplicateCount = 0;
  for (const h of delivered) {
    const count = seen.get(h.hash.toLowerCase()) ?? 0;
    if (count > 1 && !duplicates.some((d) => d.hash.toLowerCase() === h.hash.toLowerCase())) {
      duplicates.push({ number: h.number, hash: h.hash, count });
      duplicateCount += count - 1;
    }
  }
  const maxGapBlocks = gaps.reduce((m, g) => Math.max(m, g.next - g.after - 1), 0);
  return {
    ...deliveryCounts(window, delivered.length, malformed, expected, missed.length),
    missed,
    duplicates,
    duplicateCount,
    unknown,
    outOfOrder,
    gaps,
    maxGapBlocks,
    reorgErrors,
    reorgsDelivered,
    ok:
      malformed === 0 &&
      missed.length === 0 &&
      duplicateCount === 0 &&
      unknown.length === 0 &&
      outOfOrder.length === 0 &&
      gaps.length === 0 &&
      reorgErrors.length === 0,
  };
}
