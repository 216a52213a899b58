import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BattleResult } from '../result-types.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

export interface WrittenReports {
  json: string;
  markdown: string;
  html: string;
}

/** Writes `<id>.json`, `<id>.md` and `<id>.html` into `dir` (created if needed). */
export async function writeReports(dir: string, result: BattleResult): Promise<WrittenReports> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, `${result.id}.json`), markdown: join(dir, `${result.id}.md`), html: join(dir, `${result.id}.html`) };
  await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(files.markdown, renderMarkdown(result));
  await writeFile(files.html, renderHtml(result));
  return files;
}
