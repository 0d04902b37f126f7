/**
 * Modules of the built library (dist/, from `npm run build`), typed by their source. Tests that
 * load template adapters use them so the templates' `custom-channel` import resolves to
 * dist/index.js: from src/, jiti transpiles the whole library for every adapter it loads (30 s and
 * more on a loaded machine). Imported by URL so type-checking does not need dist/ to exist.
 * @example const { runSend } = await built<typeof import('../../src/send/run.js')>('send/run.js')
 */
export function built<T>(path: string): Promise<T> {
  return import(/* @vite-ignore */ new URL(`../../dist/${path}`, import.meta.url).href) as Promise<T>;
}
