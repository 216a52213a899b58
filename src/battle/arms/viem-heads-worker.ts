/**
 * A viem newHeads watcher in a worker thread. viem prints every failed WebSocket reconnect with
 * `console.error` and takes no logger; in this thread that output goes to a stream the battle
 * drops (a provider down in a chaos run is expected), without touching the battle's own console.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPublicClient, fallback, webSocket } from 'viem';
import type { HeadsWorkerData, HeadsWorkerEvent, HeadsWorkerCommand } from './viem-heads.js';

const { wsUrls } = workerData as HeadsWorkerData;
const port = parentPort!;
const post = (event: HeadsWorkerEvent): void => port.postMessage(event);

const transports = wsUrls.map((u) => webSocket(u));
const client = createPublicClient({ transport: transports.length === 1 ? transports[0]! : fallback(transports) });
const unwatch = client.watchBlocks({
  onBlock: (block) => post({ type: 'block', number: block?.number ?? null, hash: block?.hash ?? null, parentHash: block?.parentHash ?? null }),
  onError: () => post({ type: 'error' }),
});

port.on('message', (command: HeadsWorkerCommand) => {
  if (command.type !== 'close') return;
  unwatch();
  // Close the sockets so that viem stops reconnecting to a cluster that is going away.
  const closers = transports.map(async (t) => {
    try {
      const rpc = await (t({}).value as { getRpcClient(): Promise<{ close(): void }> }).getRpcClient();
      rpc.close();
    } catch {
      // already closed or never connected
    }
  });
  void Promise.all(closers).then(() => post({ type: 'closed' }));
});
