/**
 * No Docker engine runs here, so the container files are linted: the Dockerfile's stages, user and
 * entry point, the compose services and ports, and the config the replicas run with (including the
 * `preset: ethereum` chain). With docker available, `docker compose config` must accept the file.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfigText } from '../../../src/config/index.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const lastStage = lines.slice(lines.findLastIndex((l) => l.startsWith('FROM ')));

  it('builds in one stage and runs from another, as a non-root user', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    const user = lastStage.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.slice(5).trim());
  });

  it('starts Lasso with node directly (signals reach it) and exposes its port', () => {
    const entry = lastStage.find((l) => l.startsWith('ENTRYPOINT '));
    expect(JSON.parse(entry!.slice('ENTRYPOINT '.length))).toEqual(['node', 'bin/lasso.mjs', 'start']);
    expect(lastStage).toContain('EXPOSE 4000');
  });

  it('ships what Lasso reads at run time: the build, its dependencies and the dashboard page', () => {
    const copied = lastStage.filter((l) => l.startsWith('COPY ')).map((l) => l.split(/\s+/).at(-1));
    for (const dir of ['./dist', './node_modules', './bin', './dashboard']) expect(copied).toContain(dir);
  });
});

describe('docker-compose.yml', () => {
  const compose = YAML.parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, any> };
  const { services } = compose;

  it('runs two Lasso replicas on one Redis, Prometheus scraping both and Grafana with the dashboard', () => {
    expect(Object.keys(services).sort()).toEqual(['grafana', 'lasso-a', 'lasso-b', 'prometheus', 'redis']);
    for (const name of ['lasso-a', 'lasso-b']) {
      expect(services[name].build).toBe('.');
      expect(services[name].depends_on).toContain('redis');
      expect(services[name].volumes).toContain('./deploy/lasso.yaml:/etc/lasso/lasso.yaml:ro');
    }
    expect([...services['lasso-a'].ports, ...services['lasso-b'].ports]).toEqual(['4000:4000', '4001:4000']);
    expect(services.prometheus.volumes).toContain('./ops/prometheus:/etc/prometheus/rules:ro');
    expect(services.grafana.volumes.some((v: string) => v.startsWith('./ops/grafana/lasso-dashboard.json:'))).toBe(true);

    const prometheus = YAML.parse(read('deploy/prometheus.yml'));
    const job = prometheus.scrape_configs[0];
    expect(job.static_configs[0].targets).toEqual(['lasso-a:4000', 'lasso-b:4000']);
    expect(job.authorization.type).toBe('Bearer');
  });

  it('gives the replicas a valid config with shared Redis and the ethereum preset', () => {
    const config = parseConfigText(read('deploy/lasso.yaml'), { ETH_RPC_URL: 'https://rpc.example/v2/abc', APP_A_KEY: 'app-a-key-123', LASSO_ADMIN_KEY: 'admin-key-123' }, 'deploy/lasso.yaml');
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.port).toBe(4000);
    expect(config.sharedState.redis?.url).toBe('redis://redis:6379');
    expect(config.chains.ethereum?.chainId).toBe(1);
    expect(config.chains.ethereum?.providers.map((p) => p.id)).toEqual(['primary']);
  });

  it('is accepted by `docker compose config` when docker is installed', () => {
    let hasDocker = true;
    try {
      execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    } catch {
      hasDocker = false;
    }
    if (!hasDocker) return;
    execFileSync('docker', ['compose', 'config', '--quiet'], {
      cwd: new URL('../../../', import.meta.url),
      env: { ...process.env, ETH_RPC_URL: 'https://rpc.example', APP_A_KEY: 'k', LASSO_ADMIN_KEY: 'a' },
    });
  });
});

describe('chain presets', () => {
  it('fill chainId and public endpoints when the chain lists none; set keys win', () => {
    const config = parseConfigText('chains:\n  base: { preset: base }\n  eth: { preset: ethereum, chainId: 1, headPollIntervalMs: 500 }\n', {}, 'inline');
    expect(config.chains.base?.chainId).toBe(8453);
    expect(config.chains.base?.providers.length).toBeGreaterThan(0);
    expect(config.chains.eth?.headPollIntervalMs).toBe(500);
    expect(() => parseConfigText('chains:\n  x: { preset: nochain }\n', {}, 'inline')).toThrow(/unknown preset "nochain"; expected one of ethereum/);
  });
});
