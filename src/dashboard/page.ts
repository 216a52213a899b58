import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** Shipped beside dist/ and src/ in the package: the same relative path from either. */
const ASSETS = new URL('../../dashboard/', import.meta.url);

/**
 * The dashboard as one self-contained HTML page: its own script and styles and uPlot (resolved
 * from the installed package) inlined, so the page needs no second request (nothing to protect
 * or to serve separately, no CDN) and the admin key is needed once, on the page's own URL.
 */
export async function renderDashboardPage(): Promise<string> {
  const require = createRequire(import.meta.url);
  const [html, css, js, uplotJs, uplotCss] = await Promise.all([
    readFile(new URL('index.html', ASSETS), 'utf8'),
    readFile(new URL('dashboard.css', ASSETS), 'utf8'),
    readFile(new URL('dashboard.js', ASSETS), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ]);
  const parts: Record<string, string> = { 'uplot.css': uplotCss, 'dashboard.css': css, 'uplot.js': uplotJs, 'dashboard.js': js };
  // A function replacer: the inlined code contains `$` sequences that a replacement string would expand.
  return html.replace(/\{\{(uplot\.css|dashboard\.css|uplot\.js|dashboard\.js)\}\}/g, (_, name: string) => (parts[name] ?? '').replaceAll('</script', '<\\/script'));
}
