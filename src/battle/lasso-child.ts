import { startTarget, stopTarget } from '../bench/target-process.js';
import type { LassoLauncher } from '../chaos/scenario/index.js';

/**
 * Runs a scenario's Lasso in a child process (the benchmarks' target, same config text and seed as
 * in-process), so that its memory, descriptors and event loop are its own and not the harness's.
 * Closing stops the child by its PID (SIGTERM, then SIGKILL); the child also exits when its parent does.
 */
export const launchLassoChild: LassoLauncher = async (configText, seed) => {
  const target = await startTarget('lasso-config', configText, String(seed));
  const pid = target.child.pid;
  if (pid === undefined) throw new Error('the Lasso child process has no PID');
  return { url: target.url, pid, close: () => stopTarget(target) };
};
