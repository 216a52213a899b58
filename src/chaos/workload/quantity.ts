import type { Hex } from 'viem';

/** A JSON-RPC quantity as a number; undefined for anything else (an error, null, garbage). */
export function quantity(value: unknown): number | undefined {
  return typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value) ? Number.parseInt(value, 16) : undefined;
}

/** A JSON-RPC quantity as a bigint (balances); undefined for anything else. */
export function bigQuantity(value: unknown): bigint | undefined {
  return typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value) ? BigInt(value) : undefined;
}

export function toQuantity(n: number): Hex {
  return `0x${n.toString(16)}`;
}
