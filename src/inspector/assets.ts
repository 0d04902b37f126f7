/**
 * The page's files. Built (`npm run build`) they sit next to this module in dist/: the page's
 * TypeScript compiled by tsc, index.html and style.css copied by `build:inspector`. Run from
 * source (vitest, tsx) there is no .js yet, so a module is transpiled once on first request
 * with the TypeScript compiler (a dev dependency, never needed by the built package).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** URL path -> file (relative to this folder, without extension for modules) and content type. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'page/index.html', type: 'text/html; charset=utf-8' },
  '/page/style.css': { file: 'page/style.css', type: 'text/css; charset=utf-8' },
  '/page/chat.css': { file: 'page/chat.css', type: 'text/css; charset=utf-8' },
  '/page/app.js': { file: 'page/app', type: 'text/javascript; charset=utf-8' },
  '/page/render.js': { file: 'page/render', type: 'text/javascript; charset=utf-8' },
  '/page/exchanges.js': { file: 'page/exchanges', type: 'text/javascript; charset=utf-8' },
  '/page/compose.js': { file: 'page/compose', type: 'text/javascript; charset=utf-8' },
  '/page/dom.js': { file: 'page/dom', type: 'text/javascript; charset=utf-8' },
  '/model.js': { file: 'model', type: 'text/javascript; charset=utf-8' },
  '/model-types.js': { file: 'model-types', type: 'text/javascript; charset=utf-8' },
  '/model-emulator.js': { file: 'model-emulator', type: 'text/javascript; charset=utf-8' },
  '/model-bridge.js': { file: 'model-bridge', type: 'text/javascript; charset=utf-8' },
  '/model-status.js': { file: 'model-status', type: 'text/javascript; charset=utf-8' },
  '/curl.js': { file: 'curl', type: 'text/javascript; charset=utf-8' },
  // Imported by model.ts; it imports nothing itself, so the page can load it as it is.
  '/lib/json-depth.js': { file: '../lib/json-depth', type: 'text/javascript; charset=utf-8' },
};

/** URL paths of every page asset (for the weight benchmark and tests). */
export const PAGE_ASSETS = Object.keys(FILES);

const cache = new Map<string, Buffer>();

async function loadModule(base: string): Promise<Buffer> {
  try {
    return await readFile(join(here, `${base}.js`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const source = await readFile(join(here, `${base}.ts`), 'utf8');
  const ts = (await import('typescript')).default;
  const output = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
  });
  return Buffer.from(output.outputText);
}

/** The asset at a URL path, or `undefined` when the page has no such file. */
export async function loadAsset(path: string): Promise<{ body: Buffer; type: string } | undefined> {
  const spec = FILES[path];
  if (!spec) return undefined;
  let body = cache.get(path);
  if (!body) {
    body = /\.(html|css)$/.test(spec.file) ? await readFile(join(here, spec.file)) : await loadModule(spec.file);
    cache.set(path, body);
  }
  return { body, type: spec.type };
}
