import type { IncomingMessage } from 'node:http';

/**
 * One request header, read from `rawHeaders`: the first read of `req.headers` builds an object of
 * every header, a cost per request that the JSON-RPC path, needing one or two of them, can skip.
 * `name` must be lowercase. A repeated header gives its first value (`req.headers` would join
 * most repeats with ", ").
 */
export function rawHeader(req: IncomingMessage, name: string): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i] as string;
    if (key.length === name.length && key.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}
