/**
 * The address an anonymous client is limited by. `X-Forwarded-For` is believed only when the
 * connection comes from a configured trusted proxy; then the right-most hop that is not itself a
 * trusted proxy is the client (left-most entries are whatever the client wrote).
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

export type ClientIpResolver = (req: IncomingMessage) => string;

export function clientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  const socketAddress = (req: IncomingMessage): string => normalize(req.socket.remoteAddress ?? 'unknown');
  if (trustedProxies.length === 0) return socketAddress;
  const trusted = new BlockList();
  for (const entry of trustedProxies) addEntry(trusted, entry);
  const isTrusted = (ip: string): boolean => {
    const family = isIP(ip);
    return family !== 0 && trusted.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (req) => {
    const peer = socketAddress(req);
    const header = req.headers['x-forwarded-for'];
    if (!isTrusted(peer) || header === undefined) return peer;
    const hops = (Array.isArray(header) ? header.join(',') : header).split(',').map((h) => normalize(h.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      if (isIP(hop) === 0) return peer;
      if (!isTrusted(hop)) return hop;
    }
    return peer;
  };
}

/** Validates one trusted-proxy entry (IP or CIDR); returns a problem or undefined. */
export function trustedProxyProblem(entry: string): string | undefined {
  try {
    addEntry(new BlockList(), entry);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : 'invalid entry';
  }
}

function addEntry(list: BlockList, entry: string): void {
  const [address = '', prefix] = entry.split('/');
  const family = isIP(address);
  if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (prefix === undefined) {
    list.addAddress(address, type);
    return;
  }
  const bits = Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new Error(`"${entry}" has an invalid prefix length`);
  list.addSubnet(address, bits, type);
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) counts as `10.0.0.1`. */
function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}
