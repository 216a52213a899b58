/**
 * Child process of `npm run bench:ws`: holds many WebSocket client connections to Lasso, in a
 * process of its own so that receiving never shares an event loop with the server it measures.
 *
 * IPC commands (answers in braces):
 *   { cmd: 'open', url, count }        open `count` connections          { opened }
 *   { cmd: 'subscribe', perConn, from } eth_subscribe newHeads on each    { subscribed }
 *   { cmd: 'round', expect }           arm one fan-out round             { armed }, then { round: { number, stampsNs } }
 *   { cmd: 'close' }                   close every connection             { closed }
 *
 * Each message is stamped with CLOCK_MONOTONIC (ns) at its 'message' event; the parent subtracts
 * the server's stamp of the fan-out start (same system clock in both processes). Only the first
 * message of a round is parsed (to learn the block number), so the per-message cost on this side
 * stays a timestamp and a counter.
 */
import WebSocket from 'ws';

const sockets: WebSocket[] = [];
let expect = 0;
let received = 0;
let number: number | undefined;
let stamps: number[] = [];

function onMessage(data: WebSocket.RawData): void {
  const now = Number(process.hrtime.bigint());
  if (expect === 0) return;
  if (number === undefined) {
    const msg = JSON.parse(data.toString()) as { method?: string; params?: { result?: { number?: string } } };
    if (msg.method !== 'eth_subscription') return;
    number = Number(msg.params?.result?.number);
  }
  stamps.push(now);
  received++;
  if (received === expect) {
    expect = 0;
    process.send?.({ round: { number, stampsNs: stamps } });
  }
}

function openOne(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function open(url: string, count: number): Promise<void> {
  // Bounded concurrency: the listen backlog (511) would drop a burst of 10,000 SYNs.
  const parallel = 200;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const ws = await openOne(url);
      ws.on('message', onMessage);
      ws.on('error', () => undefined);
      sockets.push(ws);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
}

/** eth_subscribe newHeads `perConn` times on every connection from index `from` on. */
async function subscribe(perConn: number, from: number): Promise<number> {
  let done = 0;
  const parallel = 200;
  let next = from;
  const one = (ws: WebSocket, id: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const onReply = (data: WebSocket.RawData): void => {
        const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
        if (msg.id !== id) return;
        ws.off('message', onReply);
        if (typeof msg.result === 'string') resolve();
        else reject(new Error(`eth_subscribe failed: ${msg.error?.message ?? 'no result'}`));
      };
      ws.on('message', onReply);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_subscribe', params: ['newHeads'] }));
    });
  const worker = async (): Promise<void> => {
    while (next < sockets.length) {
      const ws = sockets[next++] as WebSocket;
      for (let i = 0; i < perConn; i++) {
        await one(ws, i + 1);
        done++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, sockets.length - from)) }, worker));
  return done;
}

async function closeAll(): Promise<void> {
  await Promise.all(
    sockets.splice(0).map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close();
        }),
    ),
  );
}

process.on('message', (msg: { cmd: string; url?: string; count?: number; perConn?: number; from?: number; expect?: number }) => {
  const reply = (body: object): void => void process.send?.(body);
  const fail = (err: unknown): void => reply({ error: String(err) });
  switch (msg.cmd) {
    case 'open':
      open(msg.url ?? '', msg.count ?? 0).then(() => reply({ opened: sockets.length }), fail);
      return;
    case 'subscribe':
      subscribe(msg.perConn ?? 1, msg.from ?? 0).then((n) => reply({ subscribed: n }), fail);
      return;
    case 'round':
      expect = msg.expect ?? 0;
      received = 0;
      number = undefined;
      stamps = [];
      reply({ armed: true });
      return;
    case 'close':
      closeAll().then(() => reply({ closed: true }), fail);
      return;
  }
});
process.send?.({ ready: true });
process.on('SIGTERM', () => process.exit(0));
