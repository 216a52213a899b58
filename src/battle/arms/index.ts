// The clients a `--compare` run puts side by side; each is a workload target (and a block watcher).
import { ethersFallbackArm } from './ethers.js';
import { lassoArm } from './lasso.js';
import type { ArmId, BattleArm } from './types.js';
import { pinnedArm, viemFallbackArm } from './viem.js';

export const ARMS: Readonly<Record<ArmId, BattleArm>> = {
  lasso: lassoArm,
  pinned: pinnedArm,
  'viem-fallback': viemFallbackArm,
  'ethers-fallback': ethersFallbackArm,
};

export { ARM_IDS, HeadRecorder, isDeterministicRpcError } from './types.js';
export type { ArmContext, ArmId, ArmInstance, BattleArm, HeadWatcher } from './types.js';
