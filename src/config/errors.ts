/** One problem found in a config file, located by a readable path such as `chains.ethereum.providers[1].url`. */
export interface ConfigIssue {
  /** Where the problem is: a config path, `(root)`, `(file)`, or `line L, column C` for YAML syntax. */
  path: string;
  /** What is wrong. Never contains secret values (URLs, environment variable values). */
  message: string;
}

/** A config file was rejected. `issues` lists every problem found, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** Every problem, in file order where possible. */
    readonly issues: ConfigIssue[],
    /** The file path (or a label such as `<inline>`) the text came from. */
    readonly source: string,
  ) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super([`invalid config ${source} (${count}):`, ...issues.map((i) => `  ${i.path}: ${i.message}`)].join('\n'));
  }
}

/** Formats a path as `a.b[2].c`; keys that are not plain names are quoted: `chains["my chain"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z0-9_$-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out === '' ? '(root)' : out;
}
