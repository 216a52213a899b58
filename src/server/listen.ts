import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Starts `server` listening on `host:port` (0: an ephemeral port); resolves to the bound port. */
export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** `host:port` for a URL, with an IPv6 host in brackets. */
export function urlAuthority(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
