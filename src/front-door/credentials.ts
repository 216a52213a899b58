/**
 * Where a client's key travels: `Authorization: Bearer <key>`, `x-lasso-key: <key>`, or `?key=<key>`
 * in the URL (wallets only take a URL; browsers cannot set headers on an EventSource or WebSocket).
 */
import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The key a request presents, if any; the header forms win over the query string. */
export function presentedKey(headers: IncomingHttpHeaders, url: string): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const m = BEARER.exec(auth);
    if (m?.[1]) return m[1];
  }
  const header = headers['x-lasso-key'];
  if (typeof header === 'string' && header !== '') return header;
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const fromQuery = new URLSearchParams(url.slice(q + 1)).get('key');
  return fromQuery === null || fromQuery === '' ? undefined : fromQuery;
}
