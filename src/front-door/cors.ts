/**
 * CORS for browser apps: origins allowed for everyone (`server.cors.allowedOrigins`) or for one key
 * (`keys[].allowedOrigins`). A preflight carries no key, so it is answered for any origin some key
 * allows; the real request then gets `Access-Control-Allow-Origin` only if its own key (or the
 * global list) allows the origin, and the browser withholds the answer otherwise.
 */
import type { CorsConfig } from '../config/index.js';

const ALLOWED_HEADERS = 'authorization, content-type, x-lasso-key';
const EXPOSED_HEADERS = 'retry-after, x-lasso-request-id, x-lasso-provider, x-lasso-attempts, x-lasso-hedged';

export class CorsPolicy {
  private readonly global: ReadonlySet<string>;
  private readonly anyKey: ReadonlySet<string>;
  private readonly maxAge: string;

  constructor(config: CorsConfig, perKeyOrigins: ReadonlyArray<readonly string[]>) {
    this.global = new Set(config.allowedOrigins);
    this.anyKey = new Set([...config.allowedOrigins, ...perKeyOrigins.flat()]);
    this.maxAge = String(config.maxAgeSeconds);
  }

  get enabled(): boolean {
    return this.anyKey.size > 0;
  }

  /** Headers for an answer to a request from `origin` by a client allowed `keyOrigins`. */
  responseHeaders(origin: string | undefined, keyOrigins: readonly string[] = []): string[] {
    if (origin === undefined || !(allows(this.global, origin) || keyOrigins.includes('*') || keyOrigins.includes(origin))) return [];
    return ['access-control-allow-origin', origin, 'access-control-expose-headers', EXPOSED_HEADERS, 'vary', 'origin'];
  }

  /** Headers answering a preflight; undefined when no key and no global rule allows `origin`. */
  preflightHeaders(origin: string | undefined): string[] | undefined {
    if (origin === undefined || !allows(this.anyKey, origin)) return undefined;
    return [
      'access-control-allow-origin',
      origin,
      'access-control-allow-methods',
      'POST, GET, OPTIONS',
      'access-control-allow-headers',
      ALLOWED_HEADERS,
      'access-control-max-age',
      this.maxAge,
      'vary',
      'origin',
    ];
  }
}

function allows(origins: ReadonlySet<string>, origin: string): boolean {
  return origins.has('*') || origins.has(origin);
}
