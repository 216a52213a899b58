import { withWrongId, type ResponseItem } from './jsonrpc-body.js';
import type { TerminalFault } from './plan.js';
import type { RewriteResultFault } from './rules.js';

const HEX_QUANTITY = /^0x[0-9a-fA-F]+$/;

/** How a rule alters each answer it covers (`wrong_id`, `rewrite_result`); undefined for other rules. */
export function answerRewriter(rule: TerminalFault): ((item: ResponseItem) => ResponseItem) | undefined {
  if (rule.type === 'wrong_id') return withWrongId;
  if (rule.type === 'rewrite_result') return (item) => ('result' in item ? { ...item, result: rewrittenResult(rule, item.result) } : item);
  return undefined;
}

/** The result a `rewrite_result` rule puts in place of the real one; error answers never get here. */
function rewrittenResult(rule: RewriteResultFault, result: unknown): unknown {
  if ('replace' in rule) return rule.replace;
  if (typeof result !== 'string' || !HEX_QUANTITY.test(result)) return result;
  const value = BigInt(result) + BigInt(rule.addHex ?? 0);
  return `0x${(value < 0n ? 0n : value).toString(16)}`;
}
