/**
 * How one workload request ended, seen from the client:
 * - `success`: a JSON-RPC result;
 * - `rpc_error`: a JSON-RPC error that is an answer (an upstream's deterministic error such as a
 *   revert, passed through by Lasso): the service worked;
 * - `failed`: no answer: Lasso's own failure errors (no provider, timeout, every provider failed,
 *   rate limited), a non-200 status, an invalid body, a wrong id, a transport error or a client timeout.
 */
export type RequestOutcome = 'success' | 'rpc_error' | 'failed';

/** Why a `failed` request failed, when it was not a JSON-RPC error from Lasso. */
export type ClientFailure =
  /** The HTTP answer was not 200. */
  | 'http_status'
  /** The body was not JSON or not a JSON-RPC response. */
  | 'invalid_json'
  /** The response id differed from the request id (an upstream's wrong id leaked through). */
  | 'id_mismatch'
  /** Connection refused / reset / closed before an answer. */
  | 'transport'
  /** No answer within the workload's client timeout. */
  | 'client_timeout';

/** One request of a workload, everything a report or a check needs. Times are ms from the workload start. */
export interface RequestRecord {
  /** 0-based sequence number in schedule order. */
  seq: number;
  /** Workload method kind (e.g. `eth_call:revert`). */
  kind: string;
  /** JSON-RPC method actually called. */
  method: string;
  /** When the open model scheduled it. Latency counts from here (no coordinated omission). */
  scheduledMs: number;
  /** When it was actually handed to the client (late when the event loop was busy). */
  sentMs: number;
  /** Completion minus scheduled time. */
  latencyMs: number;
  outcome: RequestOutcome;
  /** JSON-RPC error code, when the answer was an error. */
  errorCode?: number;
  /** First 200 characters of the JSON-RPC error message. */
  errorMessage?: string;
  /** The JSON-RPC error's `data`, when it is small (e.g. `{ retryAfterMs }`). */
  errorData?: unknown;
  /** Set for `failed` requests that did not get a JSON-RPC error. */
  failure?: ClientFailure;
  /** Extra detail for `failure` (an errno code, a status). */
  failureDetail?: string;
  httpStatus?: number;
  /** Provider that answered (`x-lasso-provider`), when the target reports one. */
  provider?: string;
  /** Upstream attempts (`x-lasso-attempts`), when the target reports them. 0: served without one (e.g. joined an identical in-flight request). */
  attempts?: number;
  /** Lasso sent a hedge for it (`x-lasso-hedged`): attempts beyond the first were not all failovers. */
  hedged?: true;
}

/** Success ratio helpers shared by checks and reports. */
export function countOutcomes(records: readonly RequestRecord[]): { total: number; success: number; rpcError: number; failed: number } {
  let success = 0;
  let rpcError = 0;
  let failed = 0;
  for (const r of records) {
    if (r.outcome === 'success') success++;
    else if (r.outcome === 'rpc_error') rpcError++;
    else failed++;
  }
  return { total: records.length, success, rpcError, failed };
}
