import { createServer } from 'node:net';

export type PortCheck = { available: true } | { available: false; code: string };

/**
 * Whether `host:port` can be listened on right now: binds it and lets go at once. Lets a command
 * refuse a taken port before it starts anything that would have to be torn down again.
 */
export function checkPortAvailable(host: string, port: number): Promise<PortCheck> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve({ available: false, code: err.code ?? 'UNKNOWN' }));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve({ available: true })));
  });
}
