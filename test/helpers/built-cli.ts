import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (where bin/lasso.mjs lives). */
export const ROOT = resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Builds dist/ when it is missing or older than the sources, so that tests run the CLI a user
 * runs (`node bin/lasso.mjs`). `npm test` builds first, so this is a no-op there.
 */
export function ensureBuilt(): void {
  const built = join(ROOT, 'dist/cli.js');
  const sources = execFileSync('find', ['src', '-name', '*.ts'], { cwd: ROOT }).toString().trim().split('\n').filter(Boolean);
  const newest = Math.max(0, ...sources.map((f) => statSync(join(ROOT, f)).mtimeMs));
  if (!existsSync(built) || statSync(built).mtimeMs < newest) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
}

/** Runs `node bin/lasso.mjs ...args` to completion; `children` tracks it so a failing test can kill it. */
export function runLasso(args: string[], timeoutMs: number, children: Set<ChildProcess>): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['bin/lasso.mjs', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => reject(new Error(`lasso ${args.join(' ')} still running after ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, stdout, stderr });
    });
  });
}
