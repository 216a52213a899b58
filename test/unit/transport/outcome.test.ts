import { describe, expect, it } from 'vitest';
import { describeOutcome } from '../../../src/transport/outcome.js';

describe('describeOutcome', () => {
  it.each([
    [{ type: 'network', code: 'ECONNREFUSED', neverSent: true }, 'connection refused'],
    [{ type: 'network', code: 'ERR_TLS_CERT_ALTNAME_INVALID', neverSent: true }, 'TLS error (ERR_TLS_CERT_ALTNAME_INVALID)'],
    [{ type: 'network', code: 'EWHATEVER', neverSent: false }, 'network error (EWHATEVER)'],
    [{ type: 'timeout', afterMs: 5000 }, 'timed out after 5 s'],
    [{ type: 'timeout', afterMs: 1500 }, 'timed out after 1.5 s'],
    [{ type: 'timeout', afterMs: 250 }, 'timed out after 250 ms'],
    [{ type: 'http_error', httpStatus: 502, bodySnippet: 'https://secret' }, 'HTTP 502'],
    [{ type: 'rpc_error', error: { code: -32603, message: 'key abc' }, httpStatus: 500 }, 'JSON-RPC error -32603 with HTTP 500'],
    [{ type: 'bad_response', reason: 'wrong_id' }, 'answer carried another request id'],
  ] as const)('%j reads "%s"', (outcome, words) => {
    expect(describeOutcome(outcome)).toBe(words);
  });
});
