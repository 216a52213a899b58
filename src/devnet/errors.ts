/** Base class of every error the devnet throws, so callers can tell devnet trouble from their own. */
export class DevnetError extends Error {
  override readonly name: string = 'DevnetError';
}

/** An anvil process did not come up (bad flags, port in use, binary missing, start deadline). */
export class NodeStartError extends DevnetError {
  override readonly name = 'NodeStartError';
  constructor(
    readonly nodeId: string,
    message: string,
    /** Last lines anvil wrote to stderr, if any: usually the real reason. */
    readonly stderrTail = '',
  ) {
    super(`${nodeId}: ${message}${stderrTail ? ` (stderr: ${stderrTail.trim()})` : ''}`);
  }
}

/** A node produced a different block than the ground truth at the same height. */
export class DivergenceError extends DevnetError {
  override readonly name = 'DivergenceError';
  constructor(
    readonly nodeId: string,
    readonly blockNumber: number,
    readonly expectedHash: string,
    readonly actualHash: string,
    detail = '',
  ) {
    super(`${nodeId} diverged at block ${blockNumber}: expected ${expectedHash}, got ${actualHash}${detail ? ` (${detail})` : ''}`);
  }
}

/** No node is running, unpaused and in sync, so there is nothing to mine on (or send to). */
export class NoMiningNodeError extends DevnetError {
  override readonly name = 'NoMiningNodeError';
  constructor(operation: string) {
    super(`${operation}: no running, unpaused, in-sync node`);
  }
}

export class UnknownNodeError extends DevnetError {
  override readonly name = 'UnknownNodeError';
  constructor(readonly nodeId: string) {
    super(`unknown devnet node "${nodeId}"`);
  }
}

/** The node is not running, and the operation needs it to be. */
export class NodeDownError extends DevnetError {
  override readonly name = 'NodeDownError';
  constructor(readonly nodeId: string, operation: string) {
    super(`${operation}: ${nodeId} is not running`);
  }
}

/** reorg() was asked for a depth the chain cannot give (it never orphans genesis or the emitter's block). */
export class InvalidReorgError extends DevnetError {
  override readonly name = 'InvalidReorgError';
}

/** The devnet was stopped; it cannot be used any more. */
export class DevnetStoppedError extends DevnetError {
  override readonly name = 'DevnetStoppedError';
  constructor(operation: string) {
    super(`${operation}: devnet is stopped`);
  }
}

/** anvil answered a JSON-RPC call with an error object. */
export class AnvilRpcError extends DevnetError {
  override readonly name = 'AnvilRpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly data?: unknown,
  ) {
    super(`${method} failed: ${rpcMessage} (code ${code})`);
  }
}

/** The call to anvil never produced a JSON-RPC answer (connection refused/reset, timeout, bad body). */
export class AnvilTransportError extends DevnetError {
  override readonly name = 'AnvilTransportError';
  constructor(
    readonly method: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${method}: ${message}`, options);
  }
}
