import type { IncomingMessage } from 'node:http';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText, summarizeConfig } from '../../../src/config/index.js';
import { clientIpResolver } from '../../../src/front-door/client-ip.js';
import { FrontDoor, clientIdentity } from '../../../src/front-door/front-door.js';
import { KeyTable } from '../../../src/front-door/key-table.js';
import { methodCostTable, methodRulesMatcher } from '../../../src/front-door/method-rules.js';
import { RateLimits } from '../../../src/front-door/rate-limit.js';
import { FrontDoorMetrics } from '../../../src/observability/front-door-metrics.js';

function fakeRequest(url: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1'): IncomingMessage {
  return { url, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const chain = { name: 'ethereum', chainId: 1 };
const cors = { allowedOrigins: [], maxAgeSeconds: 600 };

describe('FrontDoor.admit', () => {
  const door = new FrontDoor(
    {
      auth: {
        anonymous: false,
        keys: [{ id: 'app-a', key: 'secret-key-a-123', chains: ['base'] }, { id: 'app-b', key: 'secret-key-b-123' }],
        methodCosts: {},
        trustedProxies: [],
      },
      cors,
    },
    { limits: new RateLimits(), metrics: new FrontDoorMetrics(new Registry()) },
  );

  it('refuses a request without a key when anonymous is off', () => {
    const a = door.admit(fakeRequest('/rpc/ethereum'), chain, 'http');
    expect(a.ok).toBe(false);
    if (!a.ok) expect([a.status, a.reason]).toEqual([401, 'no_key']);
  });

  it('finds the key, and applies its chain list', () => {
    const b = door.admit(fakeRequest('/rpc/ethereum', { authorization: 'Bearer secret-key-b-123' }), chain, 'http');
    expect(b.ok && b.client.label).toBe('app-b');
    const a = door.admit(fakeRequest('/rpc/ethereum?key=secret-key-a-123'), chain, 'http');
    expect(a.ok).toBe(false);
    if (!a.ok) expect([a.status, a.reason]).toEqual([403, 'chain_denied']);
  });

  it('is open, with no limits, when no auth section is configured', async () => {
    const open = new FrontDoor({ auth: undefined, cors }, { limits: new RateLimits(), metrics: new FrontDoorMetrics(new Registry()) });
    const a = open.admit(fakeRequest('/rpc/ethereum'), chain, 'http');
    expect(a.ok).toBe(true);
    if (a.ok) expect(await open.charge(a.client, ['eth_call'], 'http')).toBeUndefined();
  });

  it('lets the front skip charging only clients it would refuse nothing: open, or keyed without limits or method rules', async () => {
    const metrics = new FrontDoorMetrics(new Registry());
    const open = new FrontDoor({ auth: undefined, cors }, { limits: new RateLimits(), metrics });
    const openClient = open.admit(fakeRequest('/rpc/ethereum'), chain, 'http');
    expect(openClient.ok && open.refusesNothing(openClient.client)).toBe(true);
    const keyed = new FrontDoor(
      {
        auth: {
          anonymous: false,
          keys: [
            { id: 'plain', key: 'secret-plain-123' },
            { id: 'limited', key: 'secret-limited-123', rateLimit: { requestsPerSecond: 1, burst: 1 } },
            { id: 'ruled', key: 'secret-ruled-123', methods: { deny: ['debug_*'] } },
          ],
          methodCosts: {},
          trustedProxies: [],
        },
        cors,
      },
      { limits: new RateLimits(), metrics },
    );
    const client = (key: string) => {
      const a = keyed.admit(fakeRequest('/rpc/ethereum', { authorization: `Bearer ${key}` }), chain, 'http');
      if (!a.ok) throw new Error('not admitted');
      return a.client;
    };
    expect(keyed.refusesNothing(client('secret-plain-123'))).toBe(true);
    expect(keyed.refusesNothing(client('secret-limited-123'))).toBe(false);
    expect(keyed.refusesNothing(client('secret-ruled-123'))).toBe(false);
    // Admitted before a reload: charge must judge it against the new policy.
    const before = client('secret-plain-123');
    keyed.reload({ auth: { anonymous: false, keys: [], methodCosts: {}, trustedProxies: [] }, cors });
    expect(keyed.refusesNothing(before)).toBe(false);
    expect((await keyed.charge(before, ['eth_call'], 'http'))?.refusals[0]).toBeDefined();
    // An open client after keys were turned on is charged (and refused) too.
    open.reload({ auth: { anonymous: false, keys: [], methodCosts: {}, trustedProxies: [] }, cors });
    expect(openClient.ok && open.refusesNothing(openClient.client)).toBe(false);
  });

  it('tells anonymous clients behind a trusted proxy apart by their forwarded address (filters are kept per client)', () => {
    const behindProxy = new FrontDoor(
      { auth: { anonymous: true, keys: [], methodCosts: {}, trustedProxies: ['10.0.0.0/8'] }, cors },
      { limits: new RateLimits(), metrics: new FrontDoorMetrics(new Registry()) },
    );
    const identity = (forwardedFor: string, peer: string): string => {
      const req = fakeRequest('/rpc/ethereum', { 'x-forwarded-for': forwardedFor }, peer);
      const a = behindProxy.admit(req, chain, 'http');
      return a.ok ? clientIdentity(a.client, req) : 'refused';
    };
    expect(identity('203.0.113.7', '10.0.0.2')).toBe('ip:203.0.113.7');
    expect(identity('203.0.113.8', '10.0.0.2')).toBe('ip:203.0.113.8');
    // From an untrusted peer the header is whatever the client wrote.
    expect(identity('203.0.113.7', '198.51.100.1')).toBe('ip:198.51.100.1');
  });
});

describe('front-door parts', () => {
  it('KeyTable finds only the exact key', () => {
    const table = new KeyTable([{ secret: 'abcdefgh', value: 1 }, { secret: 'abcdefgi', value: 2 }]);
    expect([table.find('abcdefgh'), table.find('abcdefgi'), table.find('abcdefg'), table.find('')]).toEqual([1, 2, undefined, undefined]);
  });

  it('method globs: deny wins, allow restricts, costs take the first match', () => {
    const allowed = methodRulesMatcher({ allow: ['eth_*', 'net_version'], deny: ['eth_sendRawTransaction'] });
    expect(['eth_call', 'net_version', 'eth_sendRawTransaction', 'debug_traceCall'].map(allowed)).toEqual([true, true, false, false]);
    const cost = methodCostTable({ eth_getLogs: 5, 'trace_*': 10 });
    expect(['eth_getLogs', 'trace_block', 'eth_chainId'].map(cost)).toEqual([5, 10, 1]);
  });

  it('believes X-Forwarded-For only from a trusted proxy, taking the right-most untrusted hop', () => {
    const ip = clientIpResolver(['10.0.0.0/8']);
    expect(ip(fakeRequest('/', { 'x-forwarded-for': '1.2.3.4' }, '192.0.2.1'))).toBe('192.0.2.1');
    expect(ip(fakeRequest('/', { 'x-forwarded-for': '6.6.6.6, 1.2.3.4, 10.1.1.1' }, '::ffff:10.0.0.5'))).toBe('1.2.3.4');
  });
});

describe('front-door config', () => {
  const yaml = (auth: string) => `
server:
  auth:
${auth}
chains:
  ethereum:
    chainId: 1
    providers: [{ id: a, url: "http://127.0.0.1:1" }]
`;

  it('lists every problem and never echoes a key', () => {
    let error: ConfigError | undefined;
    try {
      parseConfigText(
        yaml(`    trustedProxies: ["10.0.0.0/99", "proxy.local"]
    keys:
      - { id: a, key: "dup-secret-123" }
      - { id: a, key: "dup-secret-123", chains: [mainnet] }`),
        {},
        'test.yaml',
      );
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.message;
    expect(text).toContain('server.auth.trustedProxies[0]');
    expect(text).toContain('server.auth.trustedProxies[1]');
    expect(text).toContain('duplicate key id "a"');
    expect(text).toContain('same key as keys[0]');
    expect(text).toContain('unknown chain "mainnet"');
    expect(text).not.toContain('dup-secret');
  });

  it('summarizes keys by id only', () => {
    const config = parseConfigText(
      yaml(`    adminKey: "admin-secret-123"
    keys:
      - { id: app-a, key: "app-secret-123", rateLimit: { requestsPerSecond: 20 }, methods: { deny: [debug_*] } }`),
      {},
      'test.yaml',
    );
    const summary = summarizeConfig(config);
    expect(summary).toContain('key app-a: 20 req/s, burst 20, deny debug_*');
    expect(summary).not.toContain('secret');
  });
});
