import { describe, expect, it } from 'vitest';
import { PREREQUISITES, found, plan } from '../../scripts/test-prerequisites.mjs';

const missing = (...tools: string[]) => PREREQUISITES.filter((p) => tools.includes(p.tool));

describe('test prerequisites (pretest)', () => {
  it('nothing missing: ready, whoever runs it', () => {
    expect(plan({ missing: [], isRoot: false, hasAptGet: false, hasSudo: false })).toEqual({ kind: 'ready' });
  });

  it('root with apt-get installs exactly the missing packages', () => {
    expect(plan({ missing: missing('chromium', 'promtool'), isRoot: true, hasAptGet: true, hasSudo: false })).toEqual({
      kind: 'install',
      packages: ['chromium', 'prometheus'],
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium', 'prometheus'],
      ],
    });
  });

  it('not root: fails with the one command that fixes it (never skips)', () => {
    const r = plan({ missing: missing('redis-server'), isRoot: false, hasAptGet: true, hasSudo: true });
    expect(r.kind).toBe('fail');
    expect(r.kind === 'fail' && r.message).toContain('sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server');
    const noApt = plan({ missing: missing('chromium', 'redis-server', 'promtool'), isRoot: true, hasAptGet: false, hasSudo: false });
    expect(noApt.kind === 'fail' && noApt.message).toContain('chromium, redis-server, promtool, which are not installed');
  });

  it('finds executables by path or on PATH', () => {
    expect(found(process.execPath)).toBe(true);
    expect(found('node', { PATH: '/nonexistent' })).toBe(false);
    expect(found('sh', { PATH: '/bin:/usr/bin' })).toBe(true);
  });
});
