/**
 * `${VAR}` / `${VAR:-default}` substitution in string values of an already parsed YAML tree.
 *
 * Substituting after parsing (not in the raw text) means a variable can never inject YAML
 * structure, and a missing variable is reported with the config path that needs it.
 * - `${VAR}`: the variable's value; unset is an error (set-but-empty gives "").
 * - `${VAR:-default}`: the default when VAR is unset or empty (shell semantics). The default
 *   cannot contain `}`; nesting (`${A:-${B}}`) is not supported.
 * - `$${` is a literal `${`.
 * Values of other variables are never printed, and neither is the text around a reference.
 * Note: inside YAML flow collections (`{ ... }`, `[ ... ]`) quote values that contain `${...}`.
 */

/** The environment to read; `process.env` has this shape. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvIssue {
  path: PropertyKey[];
  message: string;
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** Returns a substituted copy of `value` (strings replaced, structure copied) and every problem found. */
export function substituteEnv(value: unknown, env: Env): { value: unknown; issues: EnvIssue[] } {
  const issues: EnvIssue[] = [];
  const out = walk(value, env, [], issues);
  return { value: out, issues };
}

function walk(value: unknown, env: Env, path: PropertyKey[], issues: EnvIssue[]): unknown {
  if (typeof value === 'string') return substituteString(value, env, path, issues);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, env, [...path, i], issues));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty: a YAML key "__proto__" must stay a plain key, not replace the prototype.
      Object.defineProperty(out, k, { value: walk(v, env, [...path, k], issues), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function substituteString(s: string, env: Env, path: PropertyKey[], issues: EnvIssue[]): string {
  if (!s.includes('${')) return s;
  let out = '';
  let i = 0;
  for (;;) {
    const j = s.indexOf('${', i);
    if (j < 0) return out + s.slice(i);
    if (j > 0 && s[j - 1] === '$') {
      out += s.slice(i, j - 1) + '${';
      i = j + 2;
      continue;
    }
    const end = s.indexOf('}', j + 2);
    if (end < 0) {
      issues.push({ path, message: 'unclosed ${ (expected ${NAME} or ${NAME:-default})' });
      return out + s.slice(i);
    }
    const m = REFERENCE.exec(s.slice(j + 2, end));
    if (m === null) {
      issues.push({ path, message: 'malformed ${...} reference (expected ${NAME} or ${NAME:-default})' });
      out += s.slice(i, end + 1);
    } else {
      const name = m[1] as string;
      const fallback = m[2];
      const v = env[name];
      let replacement: string;
      if (fallback !== undefined) replacement = v === undefined || v === '' ? fallback : v;
      else if (v !== undefined) replacement = v;
      else {
        issues.push({ path, message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
        replacement = '';
      }
      out += s.slice(i, j) + replacement;
    }
    i = end + 1;
  }
}
