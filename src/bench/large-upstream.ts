import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

/** Answer sizes the large-answer benchmark asks for, by name (the eth_getLogs `toBlock` it sends). */
export const LARGE_ANSWER_SIZES = { '100kb': 100_000, '2mb': 2_000_000, '20mb': 20_000_000 } as const;
export type LargeAnswerSize = keyof typeof LARGE_ANSWER_SIZES;

/** Realistic log entries (hex strings, nested topics) until the result reaches about `bytes`. */
export function cannedLogs(bytes: number): string {
  const entries: string[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const n = i.toString(16).padStart(8, '0');
    const entry = JSON.stringify({
      address: `0x${'5a'.repeat(16)}${n}`,
      topics: [`0x${'dd'.repeat(28)}${n}`, `0x${'00'.repeat(28)}${n}`],
      data: `0x${n.repeat(32)}`,
      blockNumber: `0x${(1_000_000 + (i >> 4)).toString(16)}`,
      transactionHash: `0x${'ab'.repeat(28)}${n}`,
      transactionIndex: `0x${(i & 15).toString(16)}`,
      blockHash: `0x${'cd'.repeat(28)}${n}`,
      logIndex: `0x${i.toString(16)}`,
      removed: false,
    });
    entries.push(entry);
    size += entry.length + 1;
  }
  return `[${entries.join(',')}]`;
}

/**
 * The benchmark's upstream: answers `eth_getLogs` with a canned result of the size its `toBlock`
 * names (see LARGE_ANSWER_SIZES), for the request's own id, at the cost of one small concatenation.
 * With `gzip`, a client that accepts gzip gets it: the result part is compressed once at start and
 * sent as a second gzip member after the compressed id part (a multi-member stream, which every
 * gzip decoder reads as one).
 */
export function createLargeUpstream(options: { gzip: boolean }): { server: Server; close: () => Promise<void> } {
  const tails = new Map<string, { plain: Buffer; gzip: Buffer | undefined }>();
  for (const [name, bytes] of Object.entries(LARGE_ANSWER_SIZES)) {
    const plain = Buffer.from(`,"result":${cannedLogs(bytes)}}`);
    tails.set(name, { plain, gzip: options.gzip ? gzipSync(plain, { level: 6 }) : undefined });
  }
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let id: unknown = null;
      let size = '';
      let method: unknown;
      try {
        const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method?: unknown; params?: Array<{ toBlock?: string }> };
        id = call.id ?? null;
        method = call.method;
        size = call.params?.[0]?.toBlock ?? '';
      } catch {
        // answered below as an unknown size
      }
      if (method === 'eth_blockNumber' || method === 'eth_chainId') {
        // Lasso's head polls: a plausible head keeps the provider in rotation.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id, result: method === 'eth_chainId' ? '0x1' : '0xf4240' }));
        return;
      }
      const tail = tails.get(size);
      if (tail === undefined) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32602, message: `unknown size ${size}` } }));
        return;
      }
      const head = Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(id)}`);
      const gzip = tail.gzip !== undefined && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
      const parts = gzip ? [gzipSync(head), tail.gzip as Buffer] : [head, tail.plain];
      const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': parts[0]!.length + parts[1]!.length };
      if (gzip) headers['content-encoding'] = 'gzip';
      res.writeHead(200, headers);
      res.write(parts[0]);
      res.end(parts[1]);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
