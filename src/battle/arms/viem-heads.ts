import { Worker } from 'node:worker_threads';
import { HeadRecorder } from './types.js';

export interface HeadsWorkerData {
  wsUrls: string[];
}

export type HeadsWorkerCommand = { type: 'close' };

export type HeadsWorkerEvent =
  | { type: 'block'; number: bigint | null; hash: string | null; parentHash: string | null }
  | { type: 'error' }
  | { type: 'closed' };

const WORKER_SCRIPT = new URL('./viem-heads-worker.js', import.meta.url);
/** How long the worker gets to close its sockets before it is terminated. */
const CLOSE_GRACE_MS = 5000;

/**
 * viem's `watchBlocks` over `webSocket(url)` transports (a `fallback` of them for several URLs),
 * run in a worker thread so that viem's reconnect logging stays out of the battle's output; the
 * heads it is handed are recorded here as they arrive.
 */
export function watchHeadsInWorker(name: string, wsUrls: string[]): HeadRecorder {
  const recorder = new HeadRecorder(name);
  const data: HeadsWorkerData = { wsUrls };
  const worker = new Worker(WORKER_SCRIPT, { workerData: data, stderr: true, stdout: true });
  worker.stderr.resume();
  worker.stdout.resume();
  worker.on('message', (event: HeadsWorkerEvent) => {
    if (event.type === 'block') recorder.add(event.number, event.hash, event.parentHash);
    else if (event.type === 'error') recorder.errors++;
  });
  // A worker that cannot start or crashes delivers no more heads: the delivery check shows it.
  worker.on('error', () => {
    recorder.errors++;
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  recorder.onClose(async () => {
    const closed = new Promise<void>((resolve) => {
      worker.on('message', (event: HeadsWorkerEvent) => {
        if (event.type === 'closed') resolve();
      });
    });
    const command: HeadsWorkerCommand = { type: 'close' };
    worker.postMessage(command);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    await worker.terminate();
  });
  return recorder;
}
