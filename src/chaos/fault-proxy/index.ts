export { FaultProxy } from './proxy.js';
export type { FaultProxyOptions, FaultHandle, InstalledFault } from './proxy.js';
export { startControlServer } from './control-server.js';
export type { ControlServer, ControlServerOptions, ControlErrorBody, ProxyView } from './control-server.js';
export { FaultProxyError, FaultRuleError } from './errors.js';
export { FAULT_TYPES, LOGS_RANGE_VENDORS, faultRuleSchema, faultRulesSchema, parseFaultRules } from './rules.js';
export type {
  FaultRule,
  FaultRuleIssue,
  FaultTransport,
  FaultType,
  GarbageFault,
  HangFault,
  HttpStatusFault,
  LatencyFault,
  LogsRangeCapFault,
  LogsRangeVendor,
  RefuseFault,
  RequestFaultScope,
  ResetFault,
  RewriteResultFault,
  RpcErrorFault,
  SlowBodyFault,
  TruncatedFault,
  WrongIdFault,
  WsDelayFault,
  WsDropFault,
  WsStallFault,
} from './rules.js';
export type { FaultProxyStats } from './stats.js';
