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

/** Package version and, inside a git checkout, the commit (with `-dirty` when the tree has changes). */
export function generatorInfo(): BattleResult['generator'] {
  let version = '0.0.0';
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    version = pkg.version ?? version;
  } catch {
    // not in the package layout (bundled): keep the placeholder
  }
  let commit: string | undefined;
  try {
    const opts = { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[], timeout: 2000 };
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], opts).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).toString().trim() !== '';
    if (dirty) commit += '-dirty';
  } catch {
    commit = undefined;
  }
  return { name: 'lasso battle', version, ...(commit && { commit }) };
}
