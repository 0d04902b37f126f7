/**
 * Copies a template folder. Dotfiles are stored under safe names in the package (npm drops
 * `.gitignore` from published tarballs, and `.env*` files are easy to ignore by mistake) and
 * get their real names here.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Stored name -> name in the project. */
export const renamedFiles: Readonly<Record<string, string>> = {
  _gitignore: '.gitignore',
  '_env.example': '.env.example',
  _npmrc: '.npmrc',
};

/** Never copied: a template's own install, build output, local state and secrets. */
const skipped = new Set(['node_modules', 'dist', 'coverage', '.custom-channel', '.env', 'package-lock.json']);

/** Relative paths (as stored) of every file a template copies, sorted. */
export async function listTemplateFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  async function walk(current: string) {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (skipped.has(entry.name)) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(relative(dir, path));
    }
  }
  await walk(dir);
  return files.sort();
}

/** A stored relative path with its file name restored (`_gitignore` -> `.gitignore`). */
export function targetName(storedPath: string): string {
  const parts = storedPath.split(/[\\/]/);
  const last = parts.pop() ?? '';
  return [...parts, renamedFiles[last] ?? last].join('/');
}

/**
 * Copies `files` (from `listTemplateFiles`) from `from` into `to`, restoring dotfile names.
 * Calls `onFile` after each one; stops early when `signal` aborts.
 */
export async function copyTemplateFiles(
  from: string,
  to: string,
  files: readonly string[],
  onFile?: (file: string, done: number) => void,
  signal?: AbortSignal,
): Promise<string[]> {
  const written: string[] = [];
  for (const [index, file] of files.entries()) {
    signal?.throwIfAborted();
    const target = join(to, targetName(file));
    await mkdir(join(target, '..'), { recursive: true });
    await copyFile(join(from, file), target);
    written.push(targetName(file));
    onFile?.(targetName(file), index + 1);
  }
  return written;
}
