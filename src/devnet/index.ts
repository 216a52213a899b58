export { Devnet } from './devnet.js';
export { DEVNET_DEFAULTS } from './options.js';
export type { DevnetEvents, DevnetLogger, DevnetOptions, MineOptions, ReorgOptions } from './options.js';
export type { DevnetNodeInfo, DevnetNodeStatus } from './node.js';
export { GroundTruth } from './ground-truth.js';
export type { CanonicalBlock, ReadonlyGroundTruth, ReorgRecord } from './ground-truth.js';
export { ACCOUNT_COUNT, DEFAULT_MNEMONIC, RESERVED_ACCOUNT_INDEXES, deriveAccounts } from './accounts.js';
export type { DevnetAccount } from './accounts.js';
export {
  COUNT_SELECTOR,
  EMITTER_INIT,
  EMITTER_RUNTIME,
  PING_TOPIC,
  REVERT_DATA,
  REVERT_MESSAGE,
  REVERT_SELECTOR,
  decodePingValue,
  encodePingCalldata,
} from './emitter-contract.js';
export {
  AnvilRpcError,
  AnvilTransportError,
  DevnetError,
  DevnetStoppedError,
  DivergenceError,
  InvalidReorgError,
  NoMiningNodeError,
  NodeDownError,
  NodeStartError,
  UnknownNodeError,
} from './errors.js';
export { DEVNET_USAGE, runDevnetCommand } from './cli.js';
export type { DevnetCommandArgs, DevnetCommandIo } from './cli.js';
export { anvilBinaryPath } from './anvil-binary.js';
