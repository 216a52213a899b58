import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { BattleResult } from './result-types.js';

/** Where a run was made: results are only comparable on similar machines. */
export function battleEnvironment(): BattleResult['environment'] {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  };
}

/**
 * Package version and, inside a git checkout, the commit and whether the tree was clean: no changes
 * to tracked files and no untracked files where the build reads from. A run from a dirty tree gets
 * `-dirty` on its commit and `clean: false`, so nobody takes it for a reproducible result.
 */
export function generatorInfo(): BattleResult['generator'] {
  let version = '0.0.0';
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    version = pkg.version ?? version;
  } catch {
    // not in the package layout (bundled): keep the placeholder
  }
  try {
    const opts = { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[], timeout: 2000 };
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], opts).toString().trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).toString().trim() !== '';
    const untrackedSources = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', ...BUILD_INPUTS], opts).toString().trim() !== '';
    const clean = !changed && !untrackedSources;
    return { name: 'lasso battle', version, commit: clean ? commit : `${commit}-dirty`, clean };
  } catch {
    return { name: 'lasso battle', version };
  }
}

/** Where the built CLI comes from: an untracked file here changes what runs. */
const BUILD_INPUTS = ['src', 'bin', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
