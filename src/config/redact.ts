/**
 * Provider URLs carry API keys (in the path, the query string or user:pass@). Everything that logs,
 * labels a metric or builds an error message shows URLs only through `redactUrl`.
 *
 * Kept: scheme, host, port, and path segments that do not look like keys. Replaced by `***`:
 * user info (`***@`), every query value (names kept unless they look like keys), the fragment,
 * the segment right after a version segment (`/v2/<key>`, `/v3/<key>`), and any segment that
 * looks like a key (16+ characters of [A-Za-z0-9._~%+=-] with a digit or mixed case, or 32+).
 * Over-redacting is fine; leaking is not.
 */

const REDACTED = '***';
const KEYISH_CHARS = /^[A-Za-z0-9._~%+=-]+$/;
const VERSION_SEGMENT = /^v\d+$/i;

function looksLikeKey(s: string): boolean {
  if (s.length < 16 || !KEYISH_CHARS.test(s)) return false;
  return s.length >= 32 || /\d/.test(s) || (/[a-z]/.test(s) && /[A-Z]/.test(s));
}

/** A log-safe form of `url`. Never throws; an unparseable value gives `<invalid url>`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const auth = u.username !== '' || u.password !== '' ? `${REDACTED}@` : '';

    const segments = u.pathname.split('/');
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i] as string;
      if (seg === '') continue;
      const afterVersion = i > 0 && VERSION_SEGMENT.test(segments[i - 1] as string);
      if (afterVersion || looksLikeKey(seg)) segments[i] = REDACTED;
    }
    const path = u.host === '' && u.pathname !== '' && !u.pathname.startsWith('/') ? REDACTED : segments.join('/');

    let query = '';
    if (u.search.length > 1) {
      query =
        '?' +
        u.search
          .slice(1)
          .split('&')
          .map((part) => {
            const eq = part.indexOf('=');
            if (eq < 0) return looksLikeKey(part) ? REDACTED : part;
            const name = part.slice(0, eq);
            const value = part.slice(eq + 1);
            return `${looksLikeKey(name) ? REDACTED : name}=${value === '' ? '' : REDACTED}`;
          })
          .join('&');
    }
    const hash = u.hash.length > 1 ? `#${REDACTED}` : '';
    const slashes = u.host === '' && !url.includes('//') ? '' : '//';
    return `${u.protocol}${slashes}${auth}${u.host}${path}${query}${hash}`;
  } catch {
    return '<invalid url>';
  }
}

const URL_IN_TEXT = /\b(?:https?|wss?):\/\/[^\s"'<>`]+/gi;

/** Redacts every http(s)/ws(s) URL inside free text (e.g. an upstream library's error message). */
export function redactUrlsInText(text: string): string {
  try {
    return text.replace(URL_IN_TEXT, (m) => redactUrl(m));
  } catch {
    return '<unprintable text>';
  }
}

/**
 * Log paths that may hold a client key, the admin key or a credential header, for pino's `redact`
 * (a second line of defence: call sites log key ids, never keys).
 */
export const SECRET_LOG_PATHS: readonly string[] = [
  'key',
  '*.key',
  'adminKey',
  '*.adminKey',
  'server.auth.keys[*].key',
  'config.server.auth.keys[*].key',
  'config.server.auth.adminKey',
  'authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-lasso-key"]',
  '*.headers["x-lasso-key"]',
];
