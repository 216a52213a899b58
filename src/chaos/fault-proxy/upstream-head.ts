import type { Pool } from 'undici';

/** Deadline for the target's head answer: a hung target must not hold a request forever. */
const HEAD_TIMEOUT_MS = 5_000;
const HEAD_REQUEST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] });

/** Asks the target for its head (`eth_blockNumber` over HTTP); undefined when it does not answer with one. */
export async function upstreamHead(pool: Pool, path: string): Promise<number | undefined> {
  try {
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body: HEAD_REQUEST,
      headersTimeout: HEAD_TIMEOUT_MS,
      bodyTimeout: HEAD_TIMEOUT_MS,
    });
    const answer = (await res.body.json()) as { result?: unknown } | null;
    const result = answer?.result;
    return typeof result === 'string' && /^0x[0-9a-fA-F]+$/.test(result) ? Number(result) : undefined;
  } catch {
    return undefined;
  }
}
