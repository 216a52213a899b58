#!/usr/bin/env node
// `npm test` runs this first (pretest): the tests drive Debian's Chromium, start redis-server and
// run promtool. What is missing is installed when this machine allows it (root + apt-get);
// otherwise the test run stops here with the one command that fixes it. Never skipped silently.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the tests need: the executable each looks for, and the Debian package that provides it. */
export const PREREQUISITES = [
  { tool: 'chromium', path: process.env.LASSO_CHROMIUM ?? '/usr/bin/chromium', pkg: 'chromium' },
  { tool: 'redis-server', path: process.env.LASSO_REDIS_SERVER ?? '/usr/bin/redis-server', pkg: 'redis-server' },
  { tool: 'promtool', path: process.env.LASSO_PROMTOOL ?? 'promtool', pkg: 'prometheus' },
];

/**
 * Decides what to do about missing tools.
 * @param {{ missing: { tool: string, pkg: string }[], isRoot: boolean, hasAptGet: boolean, hasSudo: boolean }} facts
 * @returns {{ kind: 'ready' } | { kind: 'install', packages: string[], commands: string[][] } | { kind: 'fail', message: string }}
 */
export function plan({ missing, isRoot, hasAptGet, hasSudo }) {
  if (missing.length === 0) return { kind: 'ready' };
  const packages = [...new Set(missing.map((m) => m.pkg))];
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...packages];
  if (isRoot && hasAptGet) return { kind: 'install', packages, commands: [['apt-get', 'update'], install] };
  const tools = missing.map((m) => m.tool).join(', ');
  const fix = hasAptGet
    ? `${hasSudo ? 'sudo ' : ''}apt-get update && ${hasSudo ? 'sudo ' : ''}${install.join(' ')}`
    : `install ${packages.join(', ')} with your package manager (Debian/Ubuntu: apt-get install -y --no-install-recommends ${packages.join(' ')})`;
  return { kind: 'fail', message: `The tests need ${tools}, which ${missing.length === 1 ? 'is' : 'are'} not installed. Run:\n\n  ${fix}\n\nthen npm test again.` };
}

/** An executable path, or a bare name looked up on PATH. */
export function found(path, env = process.env) {
  const candidates = path.includes('/') ? [path] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, path));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function main() {
  const missing = PREREQUISITES.filter((p) => !found(p.path));
  const decision = plan({ missing, isRoot: process.getuid?.() === 0, hasAptGet: found('apt-get'), hasSudo: found('sudo') });
  if (decision.kind === 'ready') return 0;
  if (decision.kind === 'fail') {
    process.stderr.write(`\n${decision.message}\n\n`);
    return 1;
  }
  process.stderr.write(`Installing what the tests need: ${decision.packages.join(', ')}\n`);
  for (const [cmd, ...args] of decision.commands) {
    const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      process.stderr.write(`\n${cmd} ${args.join(' ')} failed (exit ${r.status}); install ${decision.packages.join(' ')} by hand, then npm test again.\n`);
      return 1;
    }
  }
  const still = PREREQUISITES.filter((p) => !found(p.path));
  if (still.length > 0) {
    process.stderr.write(`\nStill missing after the install: ${still.map((p) => `${p.tool} (${p.path})`).join(', ')}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
