import type { Hex, RpcLog } from 'viem';
import type { ReadonlyGroundTruth } from '../../devnet/index.js';
import { deliveryCounts } from './heads.js';
import type { BlockWindow, DeliveryCounts } from './heads.js';

/** One logs notification, reduced to what the checker needs. */
export interface DeliveredLog {
  blockNumber: number;
  blockHash: Hex;
  logIndex: number;
  removed: boolean;
  address?: string;
  transactionHash?: Hex;
  tMs?: number;
}

/** The eth_subscribe("logs") filter the subscriber used (to know which canonical logs to expect). */
export interface LogFilter {
  address?: string | string[];
  /** Positional; null matches anything, an array matches any of its entries. */
  topics?: (string | string[] | null)[];
}

export interface LogsReorgError {
  kind:
    | 'missing_removed' /** an orphaned log was delivered and never re-delivered with removed: true */
    | 'removed_after_replacement' /** the new branch's logs came before the removal of the old ones */
    | 'removed_canonical' /** removed: true for a log that is still canonical */
    | 'spurious_removed'; /** removed: true for a log the client never had (or already had removed) */
  blockNumber: number;
  blockHash: Hex;
  logIndex: number;
  detail: string;
}

/** `expected`: canonical logs of the window matching the filter; `delivered`: of those, delivered live (removed: false) and not later removed. */
export interface LogsReport extends DeliveryCounts {
  missed: { blockNumber: number; logIndex: number; blockHash: Hex }[];
  duplicates: { blockNumber: number; logIndex: number; blockHash: Hex }[];
  duplicateCount: number;
  unknown: { blockNumber: number; logIndex: number; blockHash: Hex }[];
  /** Live logs delivered at or before the previous live log's position (without a removal in between). */
  outOfOrder: { index: number; blockNumber: number; logIndex: number }[];
  /** removed: true notifications received. */
  removedDelivered: number;
  reorgErrors: LogsReorgError[];
  ok: boolean;
}

/** Converts raw logs notification results; anything that is not a log counts as malformed. */
export function logsFromNotifications(results: readonly unknown[], times?: readonly number[]): { logs: DeliveredLog[]; malformed: number } {
  const logs: DeliveredLog[] = [];
  let malformed = 0;
  results.forEach((r, i) => {
    const l = r as { blockNumber?: unknown; blockHash?: unknown; logIndex?: unknown; removed?: unknown; address?: unknown; transactionHash?: unknown } | null;
    if (!l || typeof l.blockNumber !== 'string' || typeof l.blockHash !== 'string' || typeof l.logIndex !== 'string') {
      malformed++;
      return;
    }
    const log: DeliveredLog = {
      blockNumber: Number.parseInt(l.blockNumber, 16),
      blockHash: l.blockHash as Hex,
      logIndex: Number.parseInt(l.logIndex, 16),
      removed: l.removed === true,
    };
    if (typeof l.address === 'string') log.address = l.address;
    if (typeof l.transactionHash === 'string') log.transactionHash = l.transactionHash as Hex;
    const t = times?.[i];
    if (t !== undefined) log.tMs = t;
    logs.push(log);
  });
  return { logs, malformed };
}

export function logMatchesFilter(log: Pick<RpcLog, 'address' | 'topics'>, filter: LogFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.address !== undefined) {
    const wanted = (Array.isArray(filter.address) ? filter.address : [filter.address]).map((a) => a.toLowerCase());
    if (!wanted.includes(String(log.address).toLowerCase())) return false;
  }
  const topics = filter.topics ?? [];
  for (let i = 0; i < topics.length; i++) {
    const want = topics[i];
    if (want === null || want === undefined) continue;
    const have = log.topics[i]?.toLowerCase();
    const options = (Array.isArray(want) ? want : [want]).map((t) => t.toLowerCase());
    if (have === undefined || !options.includes(have)) return false;
  }
  return true;
}

const keyOf = (blockHash: string, logIndex: number): string => `${blockHash.toLowerCase()}:${logIndex}`;

/**
 * Compares what a logs subscriber received with the devnet's ground truth: each canonical
 * matching log of the window delivered once, in chain order; on a reorg, every orphaned log the
 * client had re-delivered with `removed: true` before any log of the new branch.
 */
export function checkLogs(delivered: readonly DeliveredLog[], truth: ReadonlyGroundTruth, window: BlockWindow, filter?: LogFilter, malformed = 0): LogsReport {
  const knownLogs = new Map<string, { canonical: boolean }>();
  for (const l of truth.logs()) knownLogs.set(keyOf(l.blockHash as string, Number(l.logIndex)), { canonical: true });
  for (const l of truth.orphanedLogs()) knownLogs.set(keyOf(l.blockHash as string, Number(l.logIndex)), { canonical: false });
  // Which reorg made each orphaned / replacement block, to check the removal order.
  const orphanedBy = new Map<string, number>();
  const replacementOf = new Map<string, number>();
  truth.reorgs().forEach((r, i) => {
    for (const b of r.orphaned) orphanedBy.set(b.hash.toLowerCase(), i);
    for (const b of r.replacement) replacementOf.set(b.hash.toLowerCase(), i);
  });

  const state = new Map<string, { log: DeliveredLog; live: boolean }>();
  const duplicates: LogsReport['duplicates'] = [];
  let duplicateCount = 0;
  const unknown: LogsReport['unknown'] = [];
  const outOfOrder: LogsReport['outOfOrder'] = [];
  const reorgErrors: LogsReorgError[] = [];
  const flagged = new Set<string>();
  let removedDelivered = 0;
  let lastPos: [number, number] | undefined;

  delivered.forEach((log, index) => {
    const key = keyOf(log.blockHash, log.logIndex);
    const current = state.get(key);
    const where = { blockNumber: log.blockNumber, blockHash: log.blockHash, logIndex: log.logIndex };
    if (log.removed) {
      removedDelivered++;
      if (!current?.live) reorgErrors.push({ kind: 'spurious_removed', ...where, detail: current ? 'removed twice' : 'the client never had this log' });
      if (knownLogs.get(key)?.canonical) reorgErrors.push({ kind: 'removed_canonical', ...where, detail: 'this log is still canonical' });
      state.set(key, { log, live: false });
      // The client may now receive logs of this height again.
      if (lastPos && log.blockNumber <= lastPos[0]) lastPos = [log.blockNumber - 1, Number.MAX_SAFE_INTEGER];
      return;
    }
    if (current?.live) {
      duplicateCount++;
      if (!duplicates.some((d) => keyOf(d.blockHash, d.logIndex) === key)) duplicates.push(where);
      return;
    }
    if (!knownLogs.has(key)) unknown.push(where);
    if (lastPos && (log.blockNumber < lastPos[0] || (log.blockNumber === lastPos[0] && log.logIndex <= lastPos[1]))) {
      outOfOrder.push({ index, blockNumber: log.blockNumber, logIndex: log.logIndex });
    }
    lastPos = [log.blockNumber, log.logIndex];
    const reorg = replacementOf.get(log.blockHash.toLowerCase());
    if (reorg !== undefined) {
      // Every orphaned log of this reorg the client holds must have been removed by now.
      for (const [k, s] of state) {
        if (!s.live || flagged.has(k) || orphanedBy.get(s.log.blockHash.toLowerCase()) !== reorg) continue;
        flagged.add(k);
        reorgErrors.push({
          kind: 'removed_after_replacement',
          blockNumber: s.log.blockNumber,
          blockHash: s.log.blockHash,
          logIndex: s.log.logIndex,
          detail: `a log of the new branch (block ${log.blockNumber}) arrived while this orphaned log was not yet removed`,
        });
      }
    }
    state.set(key, { log, live: true });
  });

  for (const [k, s] of state) {
    if (s.live && knownLogs.get(k)?.canonical === false && !flagged.has(k)) {
      reorgErrors.push({
        kind: 'missing_removed',
        blockNumber: s.log.blockNumber,
        blockHash: s.log.blockHash,
        logIndex: s.log.logIndex,
        detail: 'orphaned log never re-delivered with removed: true',
      });
    }
  }

  const missed: LogsReport['missed'] = [];
  let expected = 0;
  for (const l of truth.logs(window.from, window.to)) {
    if (!logMatchesFilter(l, filter)) continue;
    expected++;
    const key = keyOf(l.blockHash as string, Number(l.logIndex));
    if (!state.get(key)?.live) missed.push({ blockNumber: Number(l.blockNumber), logIndex: Number(l.logIndex), blockHash: l.blockHash as Hex });
  }
  return {
    ...deliveryCounts(window, delivered.length, malformed, expected, missed.length),
    missed,
    duplicates,
    duplicateCount,
    unknown,
    outOfOrder,
    removedDelivered,
    reorgErrors,
    ok: malformed === 0 && missed.length === 0 && duplicateCount === 0 && unknown.length === 0 && outOfOrder.length === 0 && reorgErrors.length === 0,
  };
}
