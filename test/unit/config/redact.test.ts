import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactUrl, redactUrlsInText } from '../../../src/config/redact.js';

// Seedable: FC_SEED=<n> reproduces a run.
if (process.env.FC_SEED !== undefined) fc.configureGlobal({ seed: Number(process.env.FC_SEED) });

describe('redactUrl', () => {
  it.each([
    ['https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef', 'https://mainnet.infura.io/v3/***'],
    ['wss://mainnet.infura.io/ws/v3/0123456789abcdef0123456789abcdef', 'wss://mainnet.infura.io/ws/v3/***'],
    ['https://eth-mainnet.g.alchemy.com/v2/aBcD1234eFgH5678iJkL9012mNoP3456', 'https://eth-mainnet.g.alchemy.com/v2/***'],
    ['https://eth-mainnet.g.alchemy.com/v2/short', 'https://eth-mainnet.g.alchemy.com/v2/***'],
    ['https://rpc.ankr.com/eth/6c3a1f0e9b8d7c6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9988', 'https://rpc.ankr.com/eth/***'],
    ['https://example-name.quiknode.pro/a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0/', 'https://example-name.quiknode.pro/***/'],
    ['https://eth-mainnet.blastapi.io/123e4567-e89b-12d3-a456-426614174000', 'https://eth-mainnet.blastapi.io/***'],
    ['https://lb.drpc.org/ogrpc?network=ethereum&dkey=SECRETdkey123', 'https://lb.drpc.org/ogrpc?network=***&dkey=***'],
    ['https://api.example.com/rpc?apikey=abc123', 'https://api.example.com/rpc?apikey=***'],
    ['https://user:pa55word@node.example.com:8545/', 'https://***@node.example.com:8545/'],
    ['https://onlyuser@node.example.com/', 'https://***@node.example.com/'],
    ['http://127.0.0.1:8545', 'http://127.0.0.1:8545/'],
    ['http://localhost:8545/rpc', 'http://localhost:8545/rpc'],
    ['https://node.example.com/ethereum-mainnet-archive', 'https://node.example.com/ethereum-mainnet-archive'],
    ['https://node.example.com/path#tokenFragment', 'https://node.example.com/path#***'],
    ['https://node.example.com/?aBcD1234eFgH5678iJkL', 'https://node.example.com/?***'],
    ['https://node.example.com:443/x', 'https://node.example.com/x'],
  ])('%s -> %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it.each(['', 'not a url', '://x', 'http://', 'https://[::1'])('unparseable %j -> <invalid url>', (input) => {
    expect(redactUrl(input)).toBe('<invalid url>');
  });

  it('never throws, even for non-strings from untyped callers', () => {
    for (const v of [undefined, null, 42, {}, Symbol('x')]) expect(() => redactUrl(v as unknown as string)).not.toThrow();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true, withFragments: true })), (s) => {
        expect(typeof redactUrl(s)).toBe('string');
      }),
      { numRuns: 300 },
    );
  });

  it('never leaks a long random key placed anywhere in path, query, fragment or user info', () => {
    const key = fc.stringMatching(/^[A-Za-z0-9]{32}$/).filter((k) => /\d/.test(k));
    fc.assert(
      fc.property(key, fc.constantFrom('path', 'query', 'queryName', 'userinfo', 'password', 'fragment', 'afterVersion'), (k, where) => {
        const url = {
          path: `https://h.example/a/${k}/b`,
          query: `https://h.example/x?key=${k}`,
          queryName: `https://h.example/x?${k}=1`,
          userinfo: `https://${k}@h.example/`,
          password: `https://u:${k}@h.example/`,
          fragment: `https://h.example/#${k}`,
          afterVersion: `https://h.example/v2/${k}`,
        }[where];
        expect(redactUrl(url)).not.toContain(k);
      }),
      { numRuns: 200 },
    );
  });
});

describe('redactUrlsInText', () => {
  it('redacts every URL inside free text', () => {
    const text = 'connect ECONNREFUSED https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef and wss://u:p@x.example/ws?token=abc';
    const out = redactUrlsInText(text);
    expect(out).toBe('connect ECONNREFUSED https://mainnet.infura.io/v3/*** and wss://***@x.example/ws?token=***');
  });
});
