import { describe, expect, it } from 'vitest';
import { substituteEnv } from '../../../src/config/env.js';

describe('substituteEnv', () => {
  it('replaces ${VAR} and ${VAR:-default} (default when unset or empty), $${ is literal', () => {
    const env = { A: 'alpha', EMPTY: '' };
    const { value, issues } = substituteEnv(
      { a: '${A}', b: 'x-${A}-${A}-y', c: '${MISSING:-fallback}', d: '${EMPTY:-fb}', e: '${EMPTY}', f: '$${A}', g: ['${A}', 5, true, null], h: '${A:-}' },
      env,
    );
    expect(issues).toEqual([]);
    expect(value).toEqual({ a: 'alpha', b: 'x-alpha-alpha-y', c: 'fallback', d: 'fb', e: '', f: '${A}', g: ['alpha', 5, true, null], h: 'alpha' });
  });

  it('reports each missing variable at its path and never prints values', () => {
    const { issues } = substituteEnv({ chains: { eth: { providers: [{ url: 'https://${HOST}/${KEY}' }] } } }, { HOST: 'secret-host' });
    expect(issues).toEqual([{ path: ['chains', 'eth', 'providers', 0, 'url'], message: expect.stringContaining('KEY is not set') as unknown as string }]);
    expect(JSON.stringify(issues)).not.toContain('secret-host');
  });

  it('treats "__proto__" keys as plain keys', () => {
    const input = JSON.parse('{"__proto__": {"polluted": "${A}"}}') as unknown;
    const { value } = substituteEnv(input, { A: 'x' });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: 'x' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
