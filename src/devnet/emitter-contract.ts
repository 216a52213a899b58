import { concatHex, encodeAbiParameters, keccak256, numberToHex, size, toFunctionSelector, toHex } from 'viem';
import type { Hex } from 'viem';

/**
 * The devnet's event emitter, written as raw EVM bytecode (no solc on this machine).
 *
 * Behaviour, by the first 4 bytes of calldata:
 * - `fail()`  selector: REVERT with `Error("devnet: requested revert")`, ABI-encoded as Solidity
 *   does, so an `eth_call` gets a deterministic revert with revert data.
 * - `count()` selector: RETURN the number of pings so far (storage slot 0) as uint256.
 * - anything else is a ping: the first 32 calldata bytes are a bare uint256 word (no selector);
 *   the contract emits `Ping(address indexed sender, uint256 value)` with `value` = that word,
 *   and increments the counter in slot 0.
 *
 * Runtime layout (offsets are computed by the tiny assembler below):
 *
 *     PUSH1 0  CALLDATALOAD            word = calldata[0:32]
 *     DUP1  PUSH1 0xe0  SHR            selector = word >> 224
 *     DUP1  PUSH4 fail()  EQ  PUSH2 @revert  JUMPI
 *           PUSH4 count() EQ  PUSH2 @count   JUMPI
 *     PUSH1 0  MSTORE                  mem[0:32] = word
 *     CALLER  PUSH32 PING_TOPIC  PUSH1 32  PUSH1 0  LOG2      log(data=mem[0:32], topics=[PING_TOPIC, caller])
 *     PUSH1 0  SLOAD  PUSH1 1  ADD  PUSH1 0  SSTORE           slot0 += 1
 *     STOP
 *   @count:  JUMPDEST  PUSH1 0 SLOAD  PUSH1 0 MSTORE  PUSH1 32 PUSH1 0 RETURN
 *   @revert: JUMPDEST  PUSH1 len  PUSH2 @payload  PUSH1 0  CODECOPY  PUSH1 len  PUSH1 0  REVERT
 *   @payload: the Error(string) revert data, as data bytes after the code
 *
 * The init code copies the runtime to memory and returns it:
 *
 *     PUSH2 runtimeLen  DUP1  PUSH2 initLen  PUSH1 0  CODECOPY  PUSH1 0  RETURN
 */

/** `keccak256("Ping(address,uint256)")`: topic0 of every log the emitter writes. */
export const PING_TOPIC: Hex = keccak256(toHex('Ping(address,uint256)'));
/** Calldata selector that makes the emitter revert with {@link REVERT_DATA}. */
export const REVERT_SELECTOR: Hex = toFunctionSelector('fail()');
/** Calldata selector that returns the ping counter. */
export const COUNT_SELECTOR: Hex = toFunctionSelector('count()');
export const REVERT_MESSAGE = 'devnet: requested revert';
/** Exact revert data of a `fail()` call: `Error(string)` selector + ABI-encoded {@link REVERT_MESSAGE}. */
export const REVERT_DATA: Hex = concatHex([toFunctionSelector('Error(string)'), encodeAbiParameters([{ type: 'string' }], [REVERT_MESSAGE])]);

/** Calldata of a ping that logs `value`. */
export function encodePingCalldata(value: bigint): Hex {
  return numberToHex(value, { size: 32 });
}

/** Decodes the `value` of a Ping log from its `data`. */
export function decodePingValue(data: Hex): bigint {
  return BigInt(data);
}

// --- a minimal assembler: opcodes, pushes and labels, two passes --------------------------------

const OP = {
  STOP: 0x00, ADD: 0x01, EQ: 0x14, SHR: 0x1c, CALLER: 0x33, CALLDATALOAD: 0x35, CODECOPY: 0x39,
  MSTORE: 0x52, SLOAD: 0x54, SSTORE: 0x55, JUMPI: 0x57, JUMPDEST: 0x5b, DUP1: 0x80, LOG2: 0xa2,
  RETURN: 0xf3, REVERT: 0xfd,
} as const;

type Item =
  | number // a bare opcode
  | { push: Hex; bytes: number } // PUSHn of a constant, left-padded to `bytes`
  | { pushLabel: string } // PUSH2 of a label's offset
  | { label: string } // marks an offset (emits nothing; put a JUMPDEST after it for jump targets)
  | { data: Hex }; // raw bytes

function assemble(items: Item[]): Hex {
  const offsets = new Map<string, number>();
  let pc = 0;
  for (const item of items) {
    if (typeof item === 'number') pc += 1;
    else if ('push' in item) pc += 1 + item.bytes;
    else if ('pushLabel' in item) pc += 3;
    else if ('label' in item) offsets.set(item.label, pc);
    else pc += size(item.data);
  }
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'number') out.push(byte(item));
    else if ('push' in item) {
      if (size(item.push) > item.bytes) throw new Error(`push constant ${item.push} exceeds ${item.bytes} bytes`);
      out.push(byte(0x5f + item.bytes), BigInt(item.push).toString(16).padStart(item.bytes * 2, '0'));
    } else if ('pushLabel' in item) {
      const at = offsets.get(item.pushLabel);
      if (at === undefined) throw new Error(`unknown label ${item.pushLabel}`);
      out.push(byte(0x61), at.toString(16).padStart(4, '0'));
    } else if ('data' in item) out.push(item.data.slice(2));
  }
  return `0x${out.join('')}`;
}

function byte(n: number): string {
  return n.toString(16).padStart(2, '0');
}

const p1 = (n: number): Item => ({ push: numberToHex(n), bytes: 1 });
const revertLen = size(REVERT_DATA);
if (revertLen > 0xff) throw new Error('revert payload must fit PUSH1');

/** Runtime bytecode of the emitter (what `eth_getCode` returns). */
export const EMITTER_RUNTIME: Hex = assemble([
  p1(0), OP.CALLDATALOAD,
  OP.DUP1, p1(0xe0), OP.SHR,
  OP.DUP1, { push: REVERT_SELECTOR, bytes: 4 }, OP.EQ, { pushLabel: 'revert' }, OP.JUMPI,
  { push: COUNT_SELECTOR, bytes: 4 }, OP.EQ, { pushLabel: 'count' }, OP.JUMPI,
  p1(0), OP.MSTORE,
  OP.CALLER, { push: PING_TOPIC, bytes: 32 }, p1(32), p1(0), OP.LOG2,
  p1(0), OP.SLOAD, p1(1), OP.ADD, p1(0), OP.SSTORE,
  OP.STOP,
  { label: 'count' }, OP.JUMPDEST, p1(0), OP.SLOAD, p1(0), OP.MSTORE, p1(32), p1(0), OP.RETURN,
  { label: 'revert' }, OP.JUMPDEST, p1(revertLen), { pushLabel: 'payload' }, p1(0), OP.CODECOPY, p1(revertLen), p1(0), OP.REVERT,
  { label: 'payload' }, { data: REVERT_DATA },
]);

const INIT_LEN = 13; // PUSH2 x, DUP1, PUSH2 y, PUSH1 0, CODECOPY, PUSH1 0, RETURN

/** Creation bytecode: the deployment transaction's `data`. */
export const EMITTER_INIT: Hex = assemble([
  { push: numberToHex(size(EMITTER_RUNTIME)), bytes: 2 }, OP.DUP1, { push: numberToHex(INIT_LEN), bytes: 2 }, p1(0), OP.CODECOPY,
  p1(0), OP.RETURN,
  { data: EMITTER_RUNTIME },
]);
if (size(EMITTER_INIT) !== INIT_LEN + size(EMITTER_RUNTIME)) throw new Error('emitter init code length drifted');
