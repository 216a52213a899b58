/**
 * The log methods a component takes in its options: a pino Logger fits, and so does `console`.
 * Kept free of imports so that the standalone libraries (devnet, transport) can use it without
 * pulling in Lasso's logger setup.
 */
export interface ComponentLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Logs nothing: the default where no logger is given. */
export const silentLogger: ComponentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
