/**
 * npm run battle:baseline -- OUT RESULT.json... — writes a baseline file made of several battle
 * results of one scenario, for `lasso battle --baseline OUT`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBaseline } from './baseline.js';
import type { BattleResult } from './result-types.js';
import { errorMessage } from '../error-message.js';

export async function makeBaseline(out: string, inputs: readonly string[]): Promise<string> {
  const results = await Promise.all(inputs.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as BattleResult));
  await writeFile(out, `${JSON.stringify(buildBaseline(results), null, 2)}\n`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [out, ...inputs] = process.argv.slice(2);
  if (!out || inputs.length === 0) {
    process.stderr.write('usage: npm run battle:baseline -- OUT.json RESULT.json...\n');
    process.exitCode = 2;
  } else {
    makeBaseline(out, inputs).then(
      (file) => process.stdout.write(`wrote ${file} (${inputs.length} run${inputs.length === 1 ? '' : 's'})\n`),
      (err: unknown) => {
        process.stderr.write(`${errorMessage(err)}\n`);
        process.exitCode = 1;
      },
    );
  }
}
