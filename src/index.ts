/** Lasso's public library entry point. */
export { startLasso } from './app.js';
export type { LassoInstance, StartLassoOptions } from './app.js';
export type { LassoEvents, LassoEvent, LassoEventType } from './observability/events.js';
export { loadConfigFile, parseConfigText, ConfigError } from './config/index.js';
export type { LassoConfig, ChainConfig, ProviderConfig } from './config/index.js';
export { RpcError, RpcErrorCode } from './jsonrpc/errors.js';
export type { JsonRpcRequest, JsonRpcResponse, JsonRpcId } from './jsonrpc/types.js';
