import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  findDefaultConfigPath,
  lassoConfigSchema,
  loadConfigFile,
  parseConfigText,
  summarizeConfig,
} from '../../../src/config/index.js';

const ALCHEMY_KEY = 'aBcD1234eFgH5678iJkL9012mNoP3456';
const INFURA_KEY = '0123456789abcdef0123456789abcdef';

const VALID = `
server:
  port: \${LASSO_PORT:-4100}
  maxBatchSize: 50
logging: { level: debug }
chains:
  ethereum:
    chainId: 1
    defaultStrategy: fastest
    methodTimeoutsMs: { eth_call: 4000 }
    breaker: { recoveryMs: 5000 }
    providers:
      - id: alpha
        url: "https://eth-mainnet.g.alchemy.com/v2/\${ALCHEMY_KEY}"
        wsUrl: "wss://eth-mainnet.g.alchemy.com/v2/\${ALCHEMY_KEY}"
        priority: 1
        archive: true
      - { id: beta, url: "https://mainnet.infura.io/v3/\${INFURA_KEY}", maxConcurrent: "\${BETA_CONC}" }
  sepolia:
    chainId: 11155111
    providers:
      - { id: local, url: "http://127.0.0.1:8545" }
`;

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfigText: valid', () => {
  const env = { ALCHEMY_KEY, INFURA_KEY, BETA_CONC: '16' };

  it('substitutes env vars (with defaults and numeric coercion) and applies every default', () => {
    const c = parseConfigText(VALID, env, 'test.yaml');
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 4100, maxBodyBytes: 1_048_576, maxBatchSize: 50, requestTimeoutMs: 30_000 });
    expect(c.server.websocket.maxConnections).toBe(10_000);
    expect(c.logging.level).toBe('debug');
    const eth = c.chains.ethereum!;
    expect(eth).toMatchObject({ chainId: 1, defaultStrategy: 'fastest', maxLagBlocks: 3, headPollIntervalMs: 2000, maxAttempts: 3 });
    expect(eth.breaker).toEqual({ timeoutThreshold: 2, networkThreshold: 3, otherThreshold: 5, recoveryMs: 5000, maxRecoveryMs: 300_000, successesToClose: 2 });
    expect({ ...eth.methodTimeoutsMs }).toEqual({ eth_call: 4000 });
    expect(eth.providers[0]).toEqual({
      id: 'alpha',
      url: `https://eth-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY}`,
      wsUrl: `wss://eth-mainnet.g.alchemy.com/v2/${ALCHEMY_KEY}`,
      priority: 1,
      archive: true,
      maxConcurrent: 64,
    });
    // Missing priority defaults to the list position.
    expect(eth.providers[1]).toMatchObject({ id: 'beta', priority: 1, archive: false, maxConcurrent: 16 });
    expect(c.chains.sepolia).toMatchObject({ chainId: 11155111, defaultStrategy: 'best' });
  });

  it('env var set overrides the default', () => {
    expect(parseConfigText(VALID, { ...env, LASSO_PORT: '0' }, 't').server.port).toBe(0);
  });

  it('methodTimeoutsMs never exposes Object.prototype members', () => {
    const c = parseConfigText(VALID, env, 't');
    expect(c.chains.ethereum!.methodTimeoutsMs['constructor']).toBeUndefined();
    expect(c.chains.sepolia!.methodTimeoutsMs['toString']).toBeUndefined();
  });

  it('the schema alone fills defaults too (programmatic configs)', () => {
    const c = lassoConfigSchema.parse({ chains: { devnet: { chainId: 31337, providers: [{ id: 'n0', url: 'http://127.0.0.1:1' }] } } });
    expect(c.server.port).toBe(4000);
    expect(c.chains.devnet!.breaker.successesToClose).toBe(2);
    expect(c.chains.devnet!.providers[0]!.priority).toBe(0);
  });

  it('summarizeConfig lists chains, chainIds, strategies and providers with redacted URLs', () => {
    const text = summarizeConfig(parseConfigText(VALID, env, 't'));
    expect(text).toContain('chain ethereum (chainId 1): strategy fastest');
    expect(text).toContain('chain sepolia (chainId 11155111): strategy best');
    expect(text).toContain('provider alpha: https://eth-mainnet.g.alchemy.com/v2/***');
    expect(text).toContain('provider beta: https://mainnet.infura.io/v3/***');
    expect(text).toContain('eth_call=4000ms');
    expect(text).not.toContain(ALCHEMY_KEY);
    expect(text).not.toContain(INFURA_KEY);
  });
});

describe('parseConfigText: invalid', () => {
  const BAD = `
server:
  port: 70000
  prot: 1
logging: { level: loud }
chains:
  ethereum:
    chainId: 1
    defaultStrategy: fastests
    max_lag_blocks: 2
    breaker: { recoveryMs: 20000, maxRecoveryMs: 1000, bogus: 1 }
    providers:
      - { id: alpha, url: "https://ok.example/\${SECRET_KEY}" }
      - { id: "bad id", url: "not a url", wsUrl: "https://wrong.scheme" }
      - { id: alpha, url: "ftp://x.example", extra: true }
  "main net":
    chainId: 1
    providers: []
  polygon:
    chainId: "\${POLYGON_ID}"
    providers:
      - { id: p, url: "\${POLYGON_URL}" }
`;

  it('lists EVERY problem, by path, in one error', () => {
    const env = { SOME_OTHER_SECRET: 'hunter2-do-not-print' };
    let error: ConfigError | undefined;
    try {
      parseConfigText(BAD, env, 'bad.yaml');
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const byPath = new Map<string, string[]>();
    for (const i of error!.issues) byPath.set(i.path, [...(byPath.get(i.path) ?? []), i.message]);
    const expectPath = (path: string, pattern: RegExp) => {
      const messages = byPath.get(path);
      expect(messages, `no issue at ${path}; got ${[...byPath.keys()].join(', ')}`).toBeDefined();
      expect(messages!.some((m) => pattern.test(m)), `${path}: ${messages!.join(' | ')}`).toBe(true);
    };
    expectPath('server.port', /65535/);
    expectPath('server.prot', /unknown key \(did you mean "port"\?\)/);
    expectPath('logging.level', /unknown log level "loud"/);
    expectPath('chains.ethereum.defaultStrategy', /unknown strategy "fastests"/);
    expectPath('chains.ethereum.max_lag_blocks', /did you mean "maxLagBlocks"/);
    expectPath('chains.ethereum.breaker.bogus', /unknown key/);
    expectPath('chains.ethereum.breaker.maxRecoveryMs', /must be >= recoveryMs/);
    expectPath('chains.ethereum.providers[0].url', /environment variable SECRET_KEY is not set/);
    expectPath('chains.ethereum.providers[1].id', /must match/);
    expectPath('chains.ethereum.providers[1].url', /^invalid URL$/);
    expectPath('chains.ethereum.providers[1].wsUrl', /ws or wss/);
    expectPath('chains.ethereum.providers[2].id', /duplicate provider id "alpha" \(already used by providers\[0\]\)/);
    expectPath('chains.ethereum.providers[2].url', /http or https/);
    expectPath('chains.ethereum.providers[2].extra', /unknown key/);
    expectPath('chains["main net"]', /chain name must match/);
    expectPath('chains["main net"].providers', /at least one provider/);
    expectPath('chains["main net"].chainId', /duplicate chainId 1 \(already used by chain "ethereum"\)/);
    expectPath('chains.polygon.chainId', /POLYGON_ID is not set/);
    expectPath('chains.polygon.providers[0].url', /POLYGON_URL is not set/);
    // A missing variable is reported once, not echoed as "invalid URL" too.
    expect(byPath.get('chains.polygon.providers[0].url')).toHaveLength(1);
    expect(byPath.get('chains.ethereum.providers[0].url')).toHaveLength(1);

    // The message lists every issue, one per line, and never prints values from the env.
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe(`invalid config bad.yaml (${error!.issues.length} problems):`);
    expect(lines).toHaveLength(error!.issues.length + 1);
    expect(lines).toContain('  chains.ethereum.providers[1].url: invalid URL');
    expect(error!.message).not.toContain('hunter2');
    expect(error!.message).not.toContain('ok.example');
  });

  it('requires chains and at least one chain', () => {
    expect(issuesOf(() => parseConfigText('server: { port: 1 }', {}, 't'))).toEqual([{ path: 'chains', message: 'required' }]);
    expect(issuesOf(() => parseConfigText('chains: {}', {}, 't'))).toEqual([{ path: 'chains', message: 'at least one chain is required' }]);
    expect(issuesOf(() => parseConfigText('chains: { a: { providers: [{ id: x, url: "http://h" }] } }', {}, 't'))).toEqual([
      { path: 'chains.a.chainId', message: 'required' },
    ]);
  });

  it('reports unknown top-level keys, an empty file and a non-mapping root', () => {
    expect(issuesOf(() => parseConfigText('chain: {}\nchains: { a: { chainId: 1, providers: [{ id: x, url: "http://h" }] } }', {}, 't'))).toEqual([
      { path: 'chain', message: 'unknown key (did you mean "chains"?)' },
    ]);
    expect(issuesOf(() => parseConfigText('', {}, 't'))[0]!.path).toBe('(root)');
    expect(issuesOf(() => parseConfigText('- 1\n- 2', {}, 't'))[0]!.path).toBe('(root)');
  });

  it('YAML syntax errors give line and column, without quoting the source line', () => {
    const text = 'chains:\n  a:\n    providers: [{ id: x, url: "https://h/v3/SECRETSECRETSECRET123 }\n';
    const issues = issuesOf(() => parseConfigText(text, {}, 't'));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]!.path).toMatch(/^line \d+, column \d+$/);
    for (const i of issues) expect(i.message).not.toContain('SECRET');
    expect(issuesOf(() => parseConfigText('a: 1\na: 2\n', {}, 't'))[0]!.message).toMatch(/unique/);
  });

  it('malformed ${...} references are errors', () => {
    const issues = issuesOf(() =>
      parseConfigText('chains: { a: { chainId: 1, providers: [{ id: x, url: "http://h/${1BAD}" }, { id: y, url: "http://h/${OPEN" }] } }', {}, 't'),
    );
    expect(issues.map((i) => i.path)).toEqual(['chains.a.providers[0].url', 'chains.a.providers[1].url']);
    expect(issues[0]!.message).toMatch(/malformed/);
    expect(issues[1]!.message).toMatch(/unclosed/);
  });
});

describe('files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lasso-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loadConfigFile reads, substitutes and validates', async () => {
    const path = join(dir, 'a.yaml');
    await writeFile(path, VALID);
    const c = await loadConfigFile(path, { ALCHEMY_KEY, INFURA_KEY, BETA_CONC: '8' });
    expect(c.chains.ethereum!.providers[1]!.maxConcurrent).toBe(8);
  });

  it('loadConfigFile: a missing file is a ConfigError naming the file', async () => {
    const path = join(dir, 'missing.yaml');
    await expect(loadConfigFile(path, {})).rejects.toMatchObject({ name: 'ConfigError', issues: [{ path: '(file)', message: 'file not found' }] });
    await expect(loadConfigFile(path, {})).rejects.toThrow(path);
  });

  it('loadConfigFile: invalid content is a ConfigError with the file as source', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'chains: { x: { chainId: 0, providers: [] } }');
    const err = await loadConfigFile(path, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).source).toBe(path);
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['chains.x.chainId', 'chains.x.providers']);
  });

  it('findDefaultConfigPath finds lasso.yaml, then lasso.yml, ignores directories', async () => {
    const d1 = join(dir, 'd1');
    await mkdir(d1);
    expect(findDefaultConfigPath(d1)).toBeUndefined();
    await mkdir(join(d1, 'lasso.yaml'));
    expect(findDefaultConfigPath(d1)).toBeUndefined();
    await writeFile(join(d1, 'lasso.yml'), 'x');
    expect(findDefaultConfigPath(d1)).toBe(join(d1, 'lasso.yml'));
    const d2 = join(dir, 'd2');
    await mkdir(d2);
    await writeFile(join(d2, 'lasso.yaml'), 'x');
    await writeFile(join(d2, 'lasso.yml'), 'x');
    expect(findDefaultConfigPath(d2)).toBe(join(d2, 'lasso.yaml'));
  });
});
