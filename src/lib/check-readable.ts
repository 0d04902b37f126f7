/**
 * Tells a missing file or folder (nothing there yet: fine) from one that is there but cannot be
 * read: `existsSync` says "missing" for both (ENOTDIR, EACCES), which made `outbox list`
 * report an empty outbox when it could not read it.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { CliError } from '../errors.js';

/**
 * False when `path` does not exist; true when it is a readable `kind`; otherwise a CliError
 * naming `what` and the path.
 * @example if (!checkReadable(dir, 'folder', 'the outbox')) return { pending: [], dead: [] };
 */
export function checkReadable(path: string, kind: 'file' | 'folder', what: string): boolean {
  const fail = (why: string) =>
    new CliError(`cannot read ${what} at ${path}: ${why}`, {
      hint: `check that ${path} is a ${kind} you can read (and not something else in its place)`,
    });
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    throw fail(code === 'ENOTDIR' ? 'a parent of it is not a folder' : String(code ?? error));
  }
  if (isFolder !== (kind === 'folder')) throw fail(isFolder ? 'it is a folder' : 'it is not a folder');
  try {
    accessSync(path, kind === 'folder' ? constants.R_OK | constants.X_OK : constants.R_OK);
  } catch (error) {
    throw fail(String((error as NodeJS.ErrnoException).code ?? error));
  }
  return true;
}
