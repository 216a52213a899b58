import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Path of the platform anvil binary shipped by the `@foundry-rs/anvil-<platform>` npm package.
 * We spawn it directly (not the npm wrapper script) so that a signal sent to the child PID
 * reaches anvil itself.
 */
export function anvilBinaryPath(): string {
  if (process.env.LASSO_ANVIL_BIN) return process.env.LASSO_ANVIL_BIN;
  const require = createRequire(import.meta.url);
  const platformPkg = `@foundry-rs/anvil-${platformSuffix()}/package.json`;
  return join(dirname(require.resolve(platformPkg)), 'bin', 'anvil');
}

function platformSuffix(): string {
  const os = process.platform === 'darwin' ? 'darwin' : process.platform === 'win32' ? 'win32' : 'linux';
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  return `${os}-${arch}`;
}
