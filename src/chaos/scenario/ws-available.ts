import WebSocket from 'ws';
import { parseConfigText, startLasso } from '../../index.js';
import { startStaticUpstream } from '../static-upstream.js';

/**
 * Whether this build of Lasso serves WebSocket JSON-RPC on `/ws/rpc/:chain` (checked by starting a
 * throwaway Lasso in front of a static upstream and attempting the upgrade). Lets a test suite
 * skip its subscription scenarios on a build without the WebSocket front.
 */
export async function isWsFrontAvailable(timeoutMs = 2000): Promise<boolean> {
  const upstream = await startStaticUpstream({ chainId: 1337, blockNumber: 1 });
  try {
    const config = parseConfigText(
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        logging: { level: 'silent' },
        chains: { probe: { chainId: 1337, providers: [{ id: 'static', url: upstream.url }] } },
      }),
      {},
      'ws probe',
    );
    const lasso = await startLasso({ config, port: 0, processMetrics: false });
    try {
      return await new Promise<boolean>((resolve) => {
        const ws = new WebSocket(`${lasso.url.replace(/^http/, 'ws')}/ws/rpc/probe`, { handshakeTimeout: timeoutMs });
        const done = (ok: boolean): void => {
          ws.removeAllListeners();
          ws.on('error', () => undefined);
          ws.terminate();
          resolve(ok);
        };
        ws.once('open', () => done(true));
        ws.once('unexpected-response', () => done(false));
        ws.once('error', () => done(false));
      });
    } finally {
      await lasso.close();
    }
  } finally {
    await upstream.close();
  }
}
