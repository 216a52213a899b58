import type { ResponseItem } from './jsonrpc-body.js';
import type { RewriteResultFault } from './rules.js';

const HEX_QUANTITY = /^0x[0-9a-fA-F]+$/;

/** The result a `rewrite_result` rule puts in place of the real one. */
export function rewrittenResult(rule: RewriteResultFault, result: unknown): unknown {
  if ('replace' in rule) return rule.replace;
  if (typeof result !== 'string' || !HEX_QUANTITY.test(result)) return result;
  const value = BigInt(result) + BigInt(rule.addHex ?? 0);
  return `0x${(value < 0n ? 0n : value).toString(16)}`;
}

/** The answer with its result rewritten; an error answer stays as it is. */
export function withRewrittenResult(rule: RewriteResultFault): (item: ResponseItem) => ResponseItem {
  return (item) => ('result' in item ? { ...item, result: rewrittenResult(rule, item.result) } : item);
}
