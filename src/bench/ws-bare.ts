/**
 * The reference bench:ws measures Lasso's WebSocket front against: a plain `ws` server that answers
 * `eth_subscribe` and broadcasts each header the way a hand-written Node server would (one
 * JSON.stringify per block, one string and one `send` per subscriber). No limits, no metrics, no
 * routing: what any single Node process pays to put one message on N loopback sockets.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';

export interface BareBroadcastServer {
  url: string;
  connections(): number;
  /** Sends `header` to every subscriber; returns how many it was sent to. */
  broadcast(header: unknown): number;
}

export async function startBareBroadcastServer(): Promise<BareBroadcastServer> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const subscribers = new Map<WebSocket, string[]>();
  wss.on('connection', (socket) => {
    subscribers.set(socket, []);
    socket.on('close', () => subscribers.delete(socket));
    socket.on('error', () => undefined);
    socket.on('message', (data) => {
      let request: { id?: unknown; method?: unknown };
      try {
        request = JSON.parse(data.toString()) as typeof request;
      } catch {
        return;
      }
      if (request.method !== 'eth_subscribe') return;
      // Same shape and length as Lasso's subscription ids.
      const id = '0x' + randomBytes(16).toString('hex');
      subscribers.get(socket)?.push(id);
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: id }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections: () => subscribers.size,
    broadcast(header) {
      const result = JSON.stringify(header);
      let delivered = 0;
      for (const [socket, ids] of subscribers) {
        for (const id of ids) {
          socket.send('{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"' + id + '","result":' + result + '}}');
          delivered++;
        }
      }
      return delivered;
    },
  };
}
