export { ConfigError, formatPath, type ConfigIssue } from './errors.js';
export { substituteEnv, type Env } from './env.js';
export { DEFAULT_CONFIG_FILES, findDefaultConfigPath, loadConfigFile, parseConfigText } from './load.js';
export { redactUrl, redactUrlsInText, SECRET_LOG_PATHS } from './redact.js';
export { summarizeConfig } from './summary.js';
export {
  BreakerSchema,
  ChainSchema,
  LassoConfigSchema,
  lassoConfigSchema,
  LOG_LEVELS,
  LoggingSchema,
  NAME_PATTERN,
  ProviderSchema,
  ServerSchema,
  StrategyNameSchema,
  type ApiKeyConfig,
  type AuthConfig,
  type BreakerConfig,
  type CorsConfig,
  type MethodRulesConfig,
  type RateLimitConfig,
  type RedisConfig,
  type SharedStateConfig,
  type ChainConfig,
  type LassoConfig,
  type LoggingConfig,
  type LogLevel,
  type ProviderConfig,
  type ServerConfig,
} from './schema.js';
