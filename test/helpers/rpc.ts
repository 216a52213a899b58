import { request } from 'undici';

export interface RpcHttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

let nextId = 1;

/** POSTs a JSON-RPC payload (object, array or raw string) and returns status, headers and parsed body. */
export async function postRpc(url: string, payload: unknown): Promise<RpcHttpResult> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text.length > 0 ? JSON.parse(text) : undefined };
}

/** Calls one method and returns the whole HTTP result; the id is unique per call. */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<RpcHttpResult> {
  return postRpc(url, { jsonrpc: '2.0', id: nextId++, method, params });
}

export async function getJson(url: string): Promise<any> {
  const res = await request(url);
  return JSON.parse(await res.body.text());
}

export async function getText(url: string): Promise<string> {
  const res = await request(url);
  return res.body.text();
}

/** Reads one sample value from Prometheus text, matching all given labels; 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labelText = m[3] ?? '';
    const ok = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (ok) sum += Number(m[4]);
  }
  return sum;
}
