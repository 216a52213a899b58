// Runs once per `vitest run`: nothing to share yet, but the hook keeps a single place for
// suite-wide setup (e.g. checking the anvil binary exists) so failures are explained early.
import { existsSync } from 'node:fs';
import { anvilBinaryPath } from '../../src/devnet/anvil-binary.js';

export default function setup(): void {
  const bin = anvilBinaryPath();
  if (!existsSync(bin)) throw new Error(`anvil binary not found at ${bin}: run npm ci`);
}
