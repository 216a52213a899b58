import type { Classification } from '../../../src/resilience/index.js';

/**
 * Error answers as public and paid providers send them: the HTTP status and the body (an object
 * is a JSON-RPC answer whose `id` the test replaces with the request's; a string is sent as it
 * is). `expected` is what the classifier must make of it; `acceptedBlocks` is the eth_getLogs
 * range the capability memory must then offer a splitter.
 */
export interface VendorErrorFixture {
  name: string;
  method: string;
  status: number;
  headers?: Record<string, string>;
  body: Record<string, unknown> | string;
  expected: Partial<Classification>;
  acceptedBlocks?: number;
}

const rpcError = (code: number, message: string, data?: unknown): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id: 1,
  error: data === undefined ? { code, message } : { code, message, data },
});

const rateLimited = { errorClass: 'rate_limit' } as const;
const rangeTooLarge = { errorClass: 'capability', capabilityKind: 'range_too_large', reason: 'range_too_large' } as const;
const blockUnavailable = { errorClass: 'capability', capabilityKind: 'block_unavailable' } as const;

export const VENDOR_ERROR_FIXTURES: readonly VendorErrorFixture[] = [
  // --- rate limits --------------------------------------------------------------------------
  {
    name: 'Alchemy: compute units per second (HTTP 429, code 429)',
    method: 'eth_call',
    status: 429,
    body: rpcError(429, 'Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message. If not, check out https://docs.alchemy.com/reference/throughput'),
    expected: { ...rateLimited, reason: 'http_429' },
  },
  {
    name: 'Alchemy over WebSocket-style 200: compute units per second',
    method: 'eth_call',
    status: 200,
    body: rpcError(429, 'Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message. If not, check out https://docs.alchemy.com/reference/throughput'),
    expected: { ...rateLimited, reason: 'rate_limited' },
  },
  {
    name: 'Alchemy: monthly capacity',
    method: 'eth_getBalance',
    status: 429,
    body: rpcError(429, 'Monthly capacity limit exceeded. Visit https://dashboard.alchemy.com/settings/billing to upgrade your scaling policy for continued service.'),
    expected: rateLimited,
  },
  {
    name: 'Infura: daily request count (-32005)',
    method: 'eth_getLogs',
    status: 429,
    body: rpcError(-32005, 'daily request count exceeded, request rate limited', { see: 'https://infura.io/dashboard' }),
    expected: rateLimited,
  },
  {
    name: 'Infura: request rate with backoff_seconds (-32005)',
    method: 'eth_blockNumber',
    status: 200,
    body: rpcError(-32005, 'project ID request rate exceeded', { see: 'https://infura.io/docs/ethereum/jsonrpc/ratelimits', current_rps: 13.333, allowed_rps: 10.0, backoff_seconds: 30.0 }),
    expected: { ...rateLimited, retryAfterMs: 30_000 },
  },
  {
    name: 'QuickNode: per-second request limit (-32007)',
    method: 'eth_call',
    status: 429,
    body: rpcError(-32007, '15/second request limit reached - reduce calls per second or upgrade your account at quicknode.com'),
    expected: rateLimited,
  },
  {
    name: 'Ankr: call rate limit with a Go-duration retry hint (-32090)',
    method: 'eth_call',
    status: 200,
    body: rpcError(-32090, 'Too many requests, reason: call rate limit exhausted, retry in 10m0s'),
    expected: { ...rateLimited, retryAfterMs: 600_000 },
  },
  {
    name: 'Base public endpoint: over rate limit (-32016)',
    method: 'eth_sendRawTransaction',
    status: 200,
    body: rpcError(-32016, 'over rate limit'),
    expected: rateLimited,
  },
  {
    name: '-32029 with HTTP 200 (TheRPC, Blast)',
    method: 'eth_call',
    status: 200,
    body: rpcError(-32029, 'Request is being rate limited.'),
    expected: rateLimited,
  },
  {
    name: 'Cloudflare rate-limit page (HTTP 429, error code 1015)',
    method: 'eth_call',
    status: 429,
    headers: { 'content-type': 'text/plain; charset=UTF-8' },
    body: 'error code: 1015',
    expected: { ...rateLimited, reason: 'http_429' },
  },
  {
    name: 'Cloudflare rate-limit page behind a 403',
    method: 'eth_call',
    status: 403,
    headers: { 'content-type': 'text/plain; charset=UTF-8' },
    body: 'error code: 1015',
    expected: rateLimited,
  },
  {
    name: 'Plain 429 with Retry-After',
    method: 'eth_call',
    status: 429,
    headers: { 'content-type': 'text/plain', 'retry-after': '2' },
    body: 'Too Many Requests',
    expected: { ...rateLimited, retryAfterMs: 2_000 },
  },

  // --- eth_getLogs range limits ---------------------------------------------------------------
  {
    name: 'Alchemy: log response size, 2K block range, suggested range (-32602)',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32602, 'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x0, 0x87fe9]'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 2_000, suggested: { fromBlock: 0, toBlock: 0x87fe9 } } },
    acceptedBlocks: 2_000,
  },
  {
    name: 'Alchemy: block range cap with a suggested range (-32600)',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32600, 'You can make eth_getLogs requests with up to a 500 block range. Based on your parameters, this block range should work: [0x123c9b2, 0x123cba5]'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 500, suggested: { fromBlock: 0x123c9b2, toBlock: 0x123cba5 } } },
    acceptedBlocks: 500,
  },
  {
    name: 'Alchemy free tier: 10 block range',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32600, 'Under the Free tier plan, you can make eth_getLogs requests with up to a 10 block range. Based on your parameters, this block range should work: [0x1, 0xa]. Upgrade to PAYG for expanded block range.'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 10, suggested: { fromBlock: 1, toBlock: 10 } } },
    acceptedBlocks: 10,
  },
  {
    name: 'Infura: more than 10000 results with a suggested range (-32005, not a rate limit)',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32005, 'query returned more than 10000 results. Try with this block range [0x10, 0x1387].'),
    expected: { ...rangeTooLarge, rangeLimit: { suggested: { fromBlock: 0x10, toBlock: 0x1387 } } },
  },
  {
    name: 'Infura: block range limit (-32602)',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32602, 'range 1000000 exceeds limit of 10000'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 10_000 } },
    acceptedBlocks: 10_000,
  },
  {
    name: 'Infura: query timeout on a log query (-32005, not a rate limit)',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32005, 'query timeout exceeded'),
    expected: rangeTooLarge,
  },
  {
    name: 'QuickNode: 10,000 range (HTTP 413, -32614)',
    method: 'eth_getLogs',
    status: 413,
    body: rpcError(-32614, 'eth_getLogs is limited to a 10,000 range'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 10_000 } },
    acceptedBlocks: 10_000,
  },
  {
    name: 'QuickNode: eth_getLogs and eth_newFilter blocks range (-32614)',
    method: 'eth_newFilter',
    status: 200,
    body: rpcError(-32614, 'eth_getLogs and eth_newFilter are limited to a 10,000 blocks range'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 10_000 } },
    acceptedBlocks: 10_000,
  },
  {
    name: 'BSC and geth forks: exceed maximum block range (-32000)',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32000, 'exceed maximum block range: 5000'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 5_000 } },
    acceptedBlocks: 5_000,
  },
  {
    name: 'reth: max block range (-32602)',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32602, 'query exceeds max block range 100000'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 100_000 } },
    acceptedBlocks: 100_000,
  },
  {
    name: 'Frontier (Moonbeam, Astar): block range is too wide (-32603, not a provider failure)',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32603, 'block range is too wide (maximum 1024)'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 1_024 } },
    acceptedBlocks: 1_024,
  },
  {
    name: 'Tenderly: invalid params with the range limit in data.payload',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32602, 'invalid params', { error_id: '4ed94073-0317-4648-a167-107fba5f44b3', payload: 'range 9009594 is bigger than range limit 2000' }),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 2_000 } },
    acceptedBlocks: 2_000,
  },
  {
    name: 'L2 node: block range larger than max block range',
    method: 'eth_getLogs',
    status: 200,
    body: rpcError(-32000, 'block range is larger than max block range, block range = 5120, max block range = 5000'),
    expected: { ...rangeTooLarge, rangeLimit: { maxBlocks: 5_000 } },
    acceptedBlocks: 5_000,
  },

  // --- execution timeouts ------------------------------------------------------------------------
  {
    name: 'geth: execution aborted at the RPC time cap (-32000)',
    method: 'eth_call',
    status: 200,
    body: rpcError(-32000, 'execution aborted (timeout = 5s)'),
    expected: { errorClass: 'capability', capabilityKind: 'execution_timeout', reason: 'execution_timeout' },
  },
  {
    name: 'geth: request timed out in the RPC handler (-32002)',
    method: 'eth_getBalance',
    status: 200,
    body: rpcError(-32002, 'request timed out'),
    expected: { errorClass: 'provider_failure', breakerKind: 'other', reason: 'upstream_timeout' },
  },

  // --- too large -------------------------------------------------------------------------------
  {
    name: 'nginx in front of a node: 413 Request Entity Too Large',
    method: 'eth_sendRawTransaction',
    status: 413,
    headers: { 'content-type': 'text/html' },
    body: '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
    expected: { errorClass: 'capability', capabilityKind: 'too_large', reason: 'http_413' },
  },
  {
    name: 'geth: response too large (-32003)',
    method: 'debug_traceTransaction',
    status: 200,
    body: rpcError(-32003, 'response too large'),
    expected: { errorClass: 'capability', capabilityKind: 'too_large' },
  },

  // --- batch limits ------------------------------------------------------------------------------
  {
    name: 'geth: batch too large (-32600)',
    method: 'eth_blockNumber',
    status: 200,
    body: rpcError(-32600, 'batch too large'),
    expected: { errorClass: 'capability', capabilityKind: 'batch_too_large', reason: 'batch_too_large' },
  },
  {
    name: 'Gateway: too many requests in batch (not a rate limit)',
    method: 'eth_blockNumber',
    status: 400,
    body: rpcError(-32600, 'Too many requests in batch (max 100)'),
    expected: { errorClass: 'capability', capabilityKind: 'batch_too_large' },
  },
  {
    name: 'Gateway: batch size too large',
    method: 'eth_blockNumber',
    status: 200,
    body: rpcError(-32600, 'batch size too large, max 1000'),
    expected: { errorClass: 'capability', capabilityKind: 'batch_too_large' },
  },

  // --- blocks this provider does not have ------------------------------------------------------
  {
    name: 'geth: header not found',
    method: 'eth_getBlockByNumber',
    status: 200,
    body: rpcError(-32000, 'header not found'),
    expected: blockUnavailable,
  },
  {
    name: 'erigon / nethermind: unknown block',
    method: 'eth_call',
    status: 200,
    body: rpcError(-32000, 'unknown block'),
    expected: blockUnavailable,
  },
  {
    name: 'geth full node: missing trie node',
    method: 'eth_getBalance',
    status: 200,
    body: rpcError(-32000, 'missing trie node 3c3f0a2e8f6f6e2d (path ) state 0x3c3f0a2e8f6f6e2d is not available, not found'),
    expected: blockUnavailable,
  },
];
