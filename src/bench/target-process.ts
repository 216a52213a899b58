import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TargetKind } from './target.js';

/** A benchmark server running in its own process (see target.ts). */
export interface TargetProcess {
  child: ChildProcess;
  url: string;
}

const TARGET_SCRIPT = fileURLToPath(new URL('./target.js', import.meta.url));

/** How long a target gets to start listening before it is killed and the benchmark fails. */
const START_DEADLINE_MS = 60_000;

/** Forks target.ts for `kind` with its arguments (upstream URLs, see target.ts) and waits until it listens. */
export function startTarget(kind: TargetKind, ...args: string[]): Promise<TargetProcess> {
  const child = fork(TARGET_SCRIPT, [kind, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let deadline: NodeJS.Timeout | undefined;
  return new Promise<TargetProcess>((resolve, reject) => {
    deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} did not start listening within ${START_DEADLINE_MS / 1000} s`));
    }, START_DEADLINE_MS);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
    child.on('message', (msg: { ready?: boolean; url?: string }) => {
      if (msg.ready && msg.url) resolve({ child, url: msg.url });
    });
  }).finally(() => clearTimeout(deadline));
}

/** How long a target gets to exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 5000;

/** Stops a target by its PID: SIGTERM, then SIGKILL if it has not exited within {@link STOP_GRACE_MS}. */
export async function stopTarget(target: TargetProcess): Promise<void> {
  const { child } = target;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Asks a target for one IPC figure ('cpu' or 'rss') and waits for its answer. */
export function askTarget<K extends 'cpu' | 'rss'>(target: TargetProcess, what: K): Promise<K extends 'cpu' ? NodeJS.CpuUsage : number> {
  return new Promise((resolve) => {
    const onMessage = (msg: Record<string, unknown>): void => {
      if (!(what in msg)) return;
      target.child.off('message', onMessage);
      resolve(msg[what] as K extends 'cpu' ? NodeJS.CpuUsage : number);
    };
    target.child.on('message', onMessage);
    target.child.send(what);
  });
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
