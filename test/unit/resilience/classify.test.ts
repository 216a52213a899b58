import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  breakerVerdict,
  classifyOutcome,
  parseRetryAfterMs,
  shouldFailover,
} from '../../../src/resilience/index.js';
import type { Classification } from '../../../src/resilience/index.js';
import type { AttemptOutcome } from '../../../src/transport/outcome.js';
import { resultOutcome } from '../../../src/transport/outcome.js';
import { ResultBytes } from '../../../src/jsonrpc/result-bytes.js';

function rpc(code: number, message: string, opts: { httpStatus?: number; data?: unknown; retryAfterMs?: number } = {}): AttemptOutcome {
  const error = opts.data === undefined ? { code, message } : { code, message, data: opts.data };
  return opts.retryAfterMs === undefined
    ? { type: 'rpc_error', error, httpStatus: opts.httpStatus ?? 200 }
    : { type: 'rpc_error', error, httpStatus: opts.httpStatus ?? 200, retryAfterMs: opts.retryAfterMs };
}

function classify(outcome: AttemptOutcome, method = 'eth_call'): Classification {
  const c = classifyOutcome(outcome, method);
  if (c === null) throw new Error('expected a classification');
  return c;
}

describe('classifyOutcome: transport-level outcomes', () => {
  it('returns null for a result', () => {
    expect(classifyOutcome(resultOutcome(ResultBytes.fromValue('0x1')), 'eth_blockNumber')).toBeNull();
  });

  it('maps timeout, network and bad responses to provider_failure with the right breaker kind', () => {
    expect(classify({ type: 'timeout', afterMs: 1000 })).toMatchObject({ errorClass: 'provider_failure', breakerKind: 'timeout' });
    expect(classify({ type: 'network', code: 'ECONNREFUSED', neverSent: true })).toMatchObject({
      errorClass: 'provider_failure',
      breakerKind: 'network',
    });
    for (const reason of ['invalid_json', 'not_jsonrpc', 'wrong_id'] as const) {
      expect(classify({ type: 'bad_response', reason })).toEqual({ errorClass: 'provider_failure', breakerKind: 'other', reason });
    }
  });

  it('maps HTTP statuses without a JSON-RPC body', () => {
    const http = (httpStatus: number, retryAfterMs?: number): AttemptOutcome =>
      retryAfterMs === undefined ? { type: 'http_error', httpStatus, bodySnippet: '' } : { type: 'http_error', httpStatus, bodySnippet: '', retryAfterMs };
    expect(classify(http(429, 1500))).toEqual({ errorClass: 'rate_limit', retryAfterMs: 1500, reason: 'http_429' });
    expect(classify(http(429))).toEqual({ errorClass: 'rate_limit', reason: 'http_429' });
    expect(classify(http(500))).toMatchObject({ errorClass: 'provider_failure', breakerKind: 'other' });
    expect(classify(http(502))).toMatchObject({ errorClass: 'provider_failure', breakerKind: 'other' });
    expect(classify(http(503))).toMatchObject({ errorClass: 'provider_failure', breakerKind: 'other' });
    expect(classify(http(504))).toMatchObject({ errorClass: 'provider_failure', breakerKind: 'timeout' });
    expect(classify(http(401))).toMatchObject({ errorClass: 'provider_failure', breakerKind: 'other' });
    expect(classify(http(403))).toMatchObject({ errorClass: 'provider_failure', breakerKind: 'other' });
    expect(classify(http(404))).toMatchObject({ errorClass: 'provider_failure', breakerKind: 'other' });
    expect(classify(http(413))).toMatchObject({ errorClass: 'capability', capabilityKind: 'too_large' });
  });

  it('treats a cancelled attempt as neither success nor failure', () => {
    const outcome: AttemptOutcome = { type: 'cancelled' };
    const c = classify(outcome);
    expect(c).toEqual({ errorClass: 'deterministic', cancelled: true, reason: 'cancelled' });
    expect(breakerVerdict(c)).toBe('neutral');
    expect(shouldFailover(c, true, outcome)).toBe(false);
  });
});

describe('classifyOutcome: JSON-RPC errors', () => {
  const cases: [string, AttemptOutcome, Partial<Classification>, string?][] = [
    // deterministic
    ['revert code 3', rpc(3, 'execution reverted: Ownable: caller is not the owner', { data: '0x08c379a0' }), { errorClass: 'deterministic', reason: 'execution_reverted' }],
    ['revert by text', rpc(-32000, 'execution reverted'), { errorClass: 'deterministic', reason: 'execution_reverted' }],
    ['hardhat revert', rpc(-32603, 'VM Exception while processing transaction: revert'), { errorClass: 'deterministic' }],
    ['revert reason that sounds like a rate limit', rpc(3, 'execution reverted: rate limit exceeded'), { errorClass: 'deterministic' }],
    ['revert reason that sounds like a range limit', rpc(-32000, 'execution reverted: block range too large'), { errorClass: 'deterministic' }, 'eth_getLogs'],
    ['invalid params', rpc(-32602, 'invalid argument 0: hex string without 0x prefix'), { errorClass: 'deterministic', reason: 'invalid_params' }],
    ['nonce too low', rpc(-32000, 'nonce too low: next nonce 5, tx nonce 3'), { errorClass: 'deterministic', reason: 'nonce_too_low' }, 'eth_sendRawTransaction'],
    ['insufficient funds', rpc(-32000, 'insufficient funds for gas * price + value'), { errorClass: 'deterministic', reason: 'insufficient_funds' }],
    ['already known', rpc(-32000, 'already known'), { errorClass: 'deterministic', reason: 'already_known' }, 'eth_sendRawTransaction'],
    ['replacement underpriced', rpc(-32000, 'replacement transaction underpriced'), { errorClass: 'deterministic', reason: 'replacement_underpriced' }],
    ['intrinsic gas', rpc(-32000, 'intrinsic gas too low'), { errorClass: 'deterministic', reason: 'intrinsic_gas_too_low' }],
    ['gas allowance', rpc(-32000, 'gas required exceeds allowance (30000000)'), { errorClass: 'deterministic' }, 'eth_estimateGas'],
    ['invalid request from upstream', rpc(-32600, 'invalid request'), { errorClass: 'deterministic', reason: 'invalid_request' }],
    ['from > to is the client mistake', rpc(-32000, 'invalid block range params'), { errorClass: 'deterministic' }, 'eth_getLogs'],
    ['tx type unknown to this node', rpc(-32000, 'transaction type not supported'), { errorClass: 'deterministic' }, 'eth_sendRawTransaction'],
    ['unknown app error with 200', rpc(-32000, 'something odd happened'), { errorClass: 'deterministic', reason: 'rpc_error' }],
    // rate limit
    ['http 429 with body', rpc(-32000, 'whatever', { httpStatus: 429, retryAfterMs: 2000 }), { errorClass: 'rate_limit', retryAfterMs: 2000 }],
    ['-32005 plain', rpc(-32005, 'request rate exceeded'), { errorClass: 'rate_limit' }],
    ['-32029', rpc(-32029, 'slow down'), { errorClass: 'rate_limit' }],
    ['too many requests text', rpc(-32000, 'Too Many Requests'), { errorClass: 'rate_limit' }],
    ['alchemy CU', rpc(429, 'Your app has exceeded its compute units per second capacity'), { errorClass: 'rate_limit' }],
    ['infura daily', rpc(-32005, 'daily request count exceeded, request rate limited'), { errorClass: 'rate_limit' }, 'eth_getLogs'],
    ['retry hint in text', rpc(-32005, 'rate limited, try again in 2s'), { errorClass: 'rate_limit', retryAfterMs: 2000 }],
    ['retry hint in data', rpc(-32000, 'rate limit', { data: { retryAfterMs: 750 } }), { errorClass: 'rate_limit', retryAfterMs: 750 }],
    ['limit exceeded outside getLogs', rpc(-32000, 'limit exceeded'), { errorClass: 'rate_limit' }],
    // capability
    ['method not found code', rpc(-32601, 'the method debug_traceCall does not exist/is not available'), { errorClass: 'capability', capabilityKind: 'unsupported_method' }],
    ['-32004', rpc(-32004, 'Method not supported'), { errorClass: 'capability', capabilityKind: 'unsupported_method' }],
    ['unsupported method text', rpc(-32000, 'Unsupported method: trace_block'), { errorClass: 'capability', capabilityKind: 'unsupported_method' }],
    ['infura range', rpc(-32005, 'query returned more than 10000 results'), { errorClass: 'capability', capabilityKind: 'range_too_large' }, 'eth_getLogs'],
    ['alchemy range', rpc(-32602, 'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range'), { errorClass: 'capability', capabilityKind: 'range_too_large' }, 'eth_getLogs'],
    ['quicknode range', rpc(-32614, 'eth_getLogs is limited to a 10,000 range'), { errorClass: 'capability', capabilityKind: 'range_too_large' }, 'eth_getLogs'],
    ['bare limit exceeded on getLogs', rpc(-32005, 'limit exceeded'), { errorClass: 'capability', capabilityKind: 'range_too_large' }, 'eth_getLogs'],
    ['block range too wide', rpc(-32000, 'block range is too wide'), { errorClass: 'capability', capabilityKind: 'range_too_large' }, 'eth_getLogs'],
    ['missing trie node', rpc(-32000, 'missing trie node 1a2b (path )'), { errorClass: 'capability', capabilityKind: 'block_unavailable' }],
    ['header not found', rpc(-32000, 'header not found'), { errorClass: 'capability', capabilityKind: 'block_unavailable' }],
    ['anvil block beyond its head (-32602)', rpc(-32602, 'BlockOutOfRangeError: block height is 0 but requested was 256'), { errorClass: 'capability', capabilityKind: 'block_unavailable' }],
    ['anvil block beyond its head on getLogs', rpc(-32602, 'BlockOutOfRangeError: block height is 0 but requested was 16'), { errorClass: 'capability', capabilityKind: 'block_unavailable' }, 'eth_getLogs'],
    ['anvil bad hex stays deterministic', rpc(-32602, 'invalid digit found in string'), { errorClass: 'deterministic', reason: 'invalid_params' }],
    ['anvil method not found', rpc(-32601, 'Method not found'), { errorClass: 'capability', capabilityKind: 'unsupported_method' }],
    ['state not available', rpc(-32000, 'state is not available'), { errorClass: 'capability', capabilityKind: 'block_unavailable' }],
    ['pending unsupported', rpc(-32000, 'pending block is not supported'), { errorClass: 'capability', capabilityKind: 'unsupported_params' }, 'eth_getBlockByNumber'],
    // provider failure
    ['internal error', rpc(-32603, 'Internal error'), { errorClass: 'provider_failure', breakerKind: 'other', reason: 'internal_error' }],
    ['unknown error with 5xx', rpc(-32000, 'something odd happened', { httpStatus: 503 }), { errorClass: 'provider_failure', breakerKind: 'other' }],
    ['auth error with 200', rpc(-32000, 'invalid project id'), { errorClass: 'provider_failure', reason: 'auth' }],
    ['auth error with 401', rpc(-32000, 'denied', { httpStatus: 401 }), { errorClass: 'provider_failure', reason: 'auth' }],
    ['upstream timeout text', rpc(-32000, 'request timed out'), { errorClass: 'provider_failure', breakerKind: 'other' }],
    ['generic -32000 server error', rpc(-32000, 'server error'), { errorClass: 'provider_failure', breakerKind: 'other' }],
    ['upstream parse error', rpc(-32700, 'parse error'), { errorClass: 'provider_failure' }],
  ];

  it.each(cases)('%s', (_name, outcome, expected, method) => {
    expect(classify(outcome, method ?? 'eth_call')).toMatchObject(expected);
  });

  it('reasons come from a small fixed vocabulary and never echo the message or a URL', () => {
    fc.assert(
      fc.property(fc.integer({ min: -33000, max: 1000 }), fc.string(), fc.integer({ min: 100, max: 599 }), (code, message, httpStatus) => {
        const c = classify(rpc(code, `${message} https://secret.example/key123`, { httpStatus }));
        expect(c.reason).toMatch(/^[a-z0-9_]+$/);
        expect(c.reason).not.toContain('secret');
        expect(c.reason.length).toBeLessThan(32);
        if (c.errorClass === 'provider_failure') expect(c.breakerKind).toBeDefined();
        else expect(c.breakerKind).toBeUndefined();
      }),
      { seed: 1337, numRuns: 500 },
    );
  });
});

describe('parseRetryAfterMs', () => {
  it('reads data fields and text hints', () => {
    expect(parseRetryAfterMs({ code: -32005, message: 'x', data: { retryAfterMs: 1200 } })).toBe(1200);
    expect(parseRetryAfterMs({ code: -32005, message: 'x', data: { retry_after: 3 } })).toBe(3000);
    expect(parseRetryAfterMs({ code: -32005, message: 'x', data: { backoff_seconds: '1.5' } })).toBe(1500);
    expect(parseRetryAfterMs({ code: -32005, message: 'please retry after 500ms' })).toBe(500);
    expect(parseRetryAfterMs({ code: -32005, message: 'Try again in 1.5 seconds' })).toBe(1500);
    expect(parseRetryAfterMs({ code: -32005, message: 'try again in 2 minutes' })).toBe(120_000);
    expect(parseRetryAfterMs({ code: -32005, message: 'retry in 4' })).toBe(4000);
    expect(parseRetryAfterMs({ code: -32090, message: 'call rate limit exhausted, retry in 1m30s' })).toBe(90_000);
    expect(parseRetryAfterMs({ code: -32005, message: 'x', data: 'try again in 3s' })).toBe(3000);
    expect(parseRetryAfterMs({ code: -32005, message: 'rate limited' })).toBeUndefined();
    expect(parseRetryAfterMs({ code: -32005, message: 'try again in 2 fortnights' })).toBeUndefined();
  });

  it('prefers the transport Retry-After over the body hint', () => {
    expect(classify(rpc(-32005, 'rate limited, try again in 2s', { retryAfterMs: 9000 }))).toMatchObject({ retryAfterMs: 9000 });
  });
});

describe('shouldFailover and breakerVerdict', () => {
  const timeout: AttemptOutcome = { type: 'timeout', afterMs: 5 };
  const refused: AttemptOutcome = { type: 'network', code: 'ECONNREFUSED', neverSent: true };
  const reset: AttemptOutcome = { type: 'network', code: 'ECONNRESET', neverSent: false };
  const revert = rpc(3, 'execution reverted');
  const limited = rpc(-32005, 'rate limit');

  it('never fails over deterministic answers', () => {
    expect(shouldFailover(classify(revert), true, revert)).toBe(false);
    expect(shouldFailover(classify(revert), false, revert)).toBe(false);
  });

  it('fails over replay-safe requests on everything else', () => {
    for (const o of [timeout, refused, reset, limited, rpc(-32601, 'method not found')]) {
      expect(shouldFailover(classify(o), true, o)).toBe(true);
    }
  });

  it('fails over non-replay-safe requests only when they provably never left', () => {
    expect(shouldFailover(classify(refused), false, refused)).toBe(true);
    expect(shouldFailover(classify(reset), false, reset)).toBe(false);
    expect(shouldFailover(classify(timeout), false, timeout)).toBe(false);
    expect(shouldFailover(classify(limited), false, limited)).toBe(false);
  });

  it('maps classes to breaker verdicts', () => {
    expect(breakerVerdict(null)).toBe('success');
    expect(breakerVerdict(classify(revert))).toBe('success');
    expect(breakerVerdict(classify(timeout))).toBe('failure');
    expect(breakerVerdict(classify(limited))).toBe('neutral');
    expect(breakerVerdict(classify(rpc(-32601, 'method not found')))).toBe('neutral');
  });
});
