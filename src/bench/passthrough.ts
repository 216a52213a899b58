import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Pool } from 'undici';

/**
 * The baseline Lasso is measured against: a bare HTTP server that forwards each body to one upstream
 * through an undici pool and copies the answer back. No parsing, no routing, no metrics.
 */
export function createPassThrough(upstreamUrl: string, connections = 64): { server: Server; close: () => Promise<void> } {
  const url = new URL(upstreamUrl);
  const pool = new Pool(url.origin, { connections, pipelining: 1 });
  const path = `${url.pathname}${url.search}`;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      pool
        .request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
        .then(async (up) => {
          const body = await up.body.text();
          res.writeHead(up.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  return {
    server,
    close: async () => {
      server.close();
      server.closeAllConnections();
      await pool.close();
    },
  };
}
