import type { FaultType } from './rules.js';

/** A snapshot of what a proxy has seen and done since it started. */
export interface FaultProxyStats {
  /** HTTP requests received (including those a fault answered or swallowed). */
  httpRequests: number;
  /** WS connections accepted since start. */
  wsConnections: number;
  /** WS connections open now. */
  wsOpenConnections: number;
  /** WS messages in both directions (client to upstream plus upstream to client). */
  wsMessages: number;
  wsMessagesFromClients: number;
  wsMessagesToClients: number;
  /** How many times each fault type fired (per request, message, dropped connection or refused upgrade). */
  faultsApplied: Partial<Record<FaultType, number>>;
  /** Requests held by `hang` right now. */
  hungRequests: number;
  /** False while a `refuse` rule keeps the port closed. */
  listening: boolean;
}

/** The mutable counters behind {@link FaultProxyStats}. */
export class Counters {
  httpRequests = 0;
  wsConnections = 0;
  wsMessagesFromClients = 0;
  wsMessagesToClients = 0;
  readonly faultsApplied: Partial<Record<FaultType, number>> = {};

  countFault(type: FaultType): void {
    this.faultsApplied[type] = (this.faultsApplied[type] ?? 0) + 1;
  }
}
