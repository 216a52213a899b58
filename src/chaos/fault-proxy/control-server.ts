import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, urlAuthority } from '../../server/listen.js';
import { readBodyUpTo } from '../../server/read-body.js';
import { FaultRuleError } from './errors.js';
import type { FaultProxy, InstalledFault } from './proxy.js';
import type { FaultProxyStats } from './stats.js';

export interface ControlServerOptions {
  /** Listen address. @default '127.0.0.1' */
  host?: string;
  /** Listen port; 0 picks a free one. @default 0 */
  port?: number;
}

export interface ControlServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** One proxy as shown by `GET /proxies`. */
export interface ProxyView {
  name: string;
  httpUrl: string;
  wsUrl: string;
  port: number;
  seed: number;
  faults: InstalledFault[];
  stats: FaultProxyStats;
}

/** Body of every non-2xx answer. */
export interface ControlErrorBody {
  error: {
    code: 'invalid_json' | 'invalid_fault_rules' | 'not_found' | 'method_not_allowed' | 'body_too_large' | 'internal';
    message: string;
    /** For `invalid_fault_rules`: one entry per problem, `path` points into the submitted array (e.g. `0.ms`). */
    issues?: { path: string; message: string }[];
  };
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A small HTTP API to drive fault proxies from outside the process (scripts, another test
 * runner, a dashboard):
 *
 * - `GET /proxies` → `{ proxies: ProxyView[] }`
 * - `GET /proxies/:name` → `ProxyView`
 * - `POST /proxies/:name/faults` with a JSON array of rules → replaces the rules, answers `{ faults }`
 *   once the listener follows them (a removed `refuse` listens again before the answer)
 * - `DELETE /proxies/:name/faults` → removes every rule, answers `{ faults: [] }`
 *
 * Invalid input gets a 400 with `{ error: { code, message, issues } }`. Proxies are looked up by
 * their key in `proxies` at request time, so the record may be filled in later.
 */
export async function startControlServer(
  proxies: Record<string, FaultProxy>,
  opts: ControlServerOptions = {},
): Promise<ControlServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    route(proxies, req, res).catch((err: unknown) => {
      sendError(res, 500, 'internal', err instanceof Error ? err.message : 'internal error');
    });
  });
  const port = await listen(server, host, opts.port ?? 0);
  return {
    url: `http://${urlAuthority(host, port)}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(proxies: Record<string, FaultProxy>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://control').pathname.replace(/\/+$/, '');
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';

  if (segments.length === 1 && segments[0] === 'proxies') {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    sendJson(res, 200, { proxies: Object.entries(proxies).map(([name, proxy]) => view(name, proxy)) });
    return;
  }
  if (segments[0] !== 'proxies' || segments.length < 2 || segments.length > 3 || (segments.length === 3 && segments[2] !== 'faults')) {
    sendError(res, 404, 'not_found', `no route ${method} ${path || '/'}`);
    return;
  }
  const name = segments[1]!;
  const proxy = Object.hasOwn(proxies, name) ? proxies[name] : undefined;
  if (proxy === undefined) {
    sendError(res, 404, 'not_found', `no proxy named "${name}" (known: ${Object.keys(proxies).join(', ') || 'none'})`);
    return;
  }

  if (segments.length === 2) {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    sendJson(res, 200, view(name, proxy));
    return;
  }
  switch (method) {
    case 'GET':
      sendJson(res, 200, { faults: proxy.faults() });
      return;
    case 'POST': {
      const text = (await readBodyUpTo(req, MAX_BODY_BYTES))?.toString('utf8');
      if (text === undefined) return sendError(res, 413, 'body_too_large', `body larger than ${MAX_BODY_BYTES} bytes`);
      let rules: unknown;
      try {
        rules = JSON.parse(text);
      } catch {
        return sendError(res, 400, 'invalid_json', 'body must be a JSON array of fault rules');
      }
      try {
        proxy.setFaults(rules as never);
      } catch (err) {
        if (err instanceof FaultRuleError) {
          sendJson(res, 400, { error: { code: 'invalid_fault_rules', message: err.message, issues: err.issues } } satisfies ControlErrorBody);
          return;
        }
        throw err;
      }
      await proxy.settled();
      sendJson(res, 200, { faults: proxy.faults() });
      return;
    }
    case 'DELETE':
      proxy.clearFaults();
      await proxy.settled();
      sendJson(res, 200, { faults: proxy.faults() });
      return;
    default:
      methodNotAllowed(res, 'GET, POST, DELETE');
  }
}

function view(name: string, proxy: FaultProxy): ProxyView {
  return {
    name,
    httpUrl: proxy.httpUrl,
    wsUrl: proxy.wsUrl,
    port: proxy.port,
    seed: proxy.seed,
    faults: proxy.faults(),
    stats: proxy.stats(),
  };
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  sendError(res, 405, 'method_not_allowed', `allowed: ${allow}`);
}

function sendError(res: ServerResponse, status: number, code: ControlErrorBody['error']['code'], message: string): void {
  sendJson(res, status, { error: { code, message } } satisfies ControlErrorBody);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
