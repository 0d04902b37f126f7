/**
 * Whole-file writes that are all-or-nothing, for private files (config, credentials, history,
 * emulator state): the content goes to a temp file with a unique name (two writes of the same
 * file in one process used to share `<file>.<pid>.tmp` and race), is fsynced, renamed over the
 * target, and the folder is fsynced so the rename itself survives a power cut.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The temp file beside `path`: `<file>.<pid>.<random>.tmp`. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Not every platform can open or fsync a folder (Windows); the file itself was synced.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * Writes `content` to `path` atomically (readers see the old file or the new one, never a part),
 * with `mode` (default 0600) whatever the umask, creating the folder (0700) when missing.
 * @example await writeFileAtomic('.custom-channel/config.json', JSON.stringify(values))
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = tempPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', mode);
    await handle.writeFile(content);
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  await syncFolder(dirname(path));
}
